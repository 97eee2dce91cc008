import { fallbackPriceOf, type Money, type PricingModel } from '../pricing';
import { versionInForce, type Price, type PricingVersion } from '../prices';
import type { PriceBasis } from '../vocabulary';

/** The price an interval is billed at: the firm price announced for it, or the fallback the display showed. */
export interface BillingPrice {
  price: Money;
  priceExTax: Money;
  tax: Money;
  feedInPrice: Money;
  basis: PriceBasis;
}

/** A region's billing terms on a day (from the pricing version in force). */
export interface BillingTerms {
  /** The flat reference tariff per kWh, tax included: the shadow bill. Null: no shadow bill. */
  referencePrice: Money | null;
  /** Per day, before tax. */
  standingChargePerDay: Money;
  taxRate: string;
  /** Household protection: the most a household pays over its shadow bill in a calendar year. Null: none. */
  protectionCapPerYear: Money | null;
}

/** The billing terms a pricing version sets. */
export function billingTermsOf(pricing: PricingModel): BillingTerms {
  return {
    referencePrice: pricing.referencePrice ?? null,
    standingChargePerDay: pricing.standingChargePerDay ?? '0',
    taxRate: pricing.taxRate ?? '0',
    protectionCapPerYear: pricing.protectionCapPerYear ?? null,
  };
}

/** What an interval is billed at: its firm price, or — none having been announced — the fallback the display showed. */
export function billingPriceOf(firm: Price | undefined, pricing: PricingModel): BillingPrice {
  if (firm) return { price: firm.price, priceExTax: firm.priceExTax, tax: firm.tax, feedInPrice: firm.feedInPrice, basis: firm.basis };
  const fallback = fallbackPriceOf(pricing);
  return {
    price: fallback.price,
    priceExTax: fallback.priceExTax,
    tax: fallback.tax,
    feedInPrice: pricing.feedInPrice ?? '0',
    basis: 'fallback',
  };
}

/** What a bill is computed against: each interval's price and each day's terms. */
export interface BillingRates {
  priceAt: (intervalStart: number) => BillingPrice;
  termsOn: (dayStart: number) => BillingTerms;
}

/**
 * The one way billing terms are built from what pricing stored: each interval at its firm price
 * (else the fallback of the version in force), each day under the version in force at its start.
 * The API's bills and the household summaries both bill through it.
 */
export function billingRates(tariffs: Price[], versions: PricingVersion[]): BillingRates {
  const firm = new Map(tariffs.map((t) => [t.intervalStart, t]));
  return {
    priceAt: (start) => billingPriceOf(firm.get(start), versionInForce(versions, start).pricing),
    termsOn: (day) => billingTermsOf(versionInForce(versions, day).pricing),
  };
}
