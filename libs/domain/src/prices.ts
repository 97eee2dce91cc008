import type { BillingPrice, BillingTerms } from './billing';
import type { PricingVersion } from './catalog';
import { criticalPeakLevel, fallbackPriceOf, priceInterval, type Level, type ModelName, type Money, type PricedInterval, type PriceInputs, type PricingModel } from './pricing';

/** How a price came to be: announced at the day-ahead cut-off, intraday before its interval, or the fallback rate. */
export type PriceBasis = 'day-ahead' | 'intraday' | 'fallback';

/** A price as announced: for one interval of one region, valid from `validFrom` to `validTo`. */
export interface Price {
  regionId: string;
  intervalStart: number;
  intervalEnd: number;
  validFrom: number;
  validTo: number;
  price: Money;
  priceExTax: Money;
  tax: Money;
  currency: string;
  unit: 'kWh';
  level: Level;
  /** Announced before its interval and never changed after; a fallback is not firm. */
  firm: boolean;
  basis: PriceBasis;
  forecastDemandWh: number | null;
  forecastSupplyWh: number | null;
  model: ModelName;
  modelVersion: number;
  feedInPrice: Money;
}

/** What a firm price was computed from and how: enough to recompute it. */
export interface PriceExplanation {
  inputs: PriceInputs;
  parameters: PricingModel;
  rawPriceExTax: Money;
  utilisation: number | null;
  band: string | null;
  constrainedBy: ('floor' | 'cap' | 'ramp')[];
}

export interface FirmPrice extends Price {
  explanation: PriceExplanation;
}

/** A firm price from its inputs under one version of the region's pricing, or why there is none. */
export function firmPrice(
  inputs: PriceInputs,
  pricing: PricingModel,
  modelVersion: number,
  basis: Exclude<PriceBasis, 'fallback'>,
): FirmPrice | Extract<PricedInterval, { ok: false }> {
  const priced = priceInterval(inputs, pricing);
  if (!priced.ok) return priced;
  return {
    regionId: inputs.regionId,
    intervalStart: inputs.intervalStart,
    intervalEnd: inputs.intervalEnd,
    validFrom: inputs.intervalStart,
    validTo: inputs.intervalEnd,
    price: priced.price,
    priceExTax: priced.priceExTax,
    tax: priced.tax,
    currency: pricing.currency,
    unit: 'kWh',
    level: priced.level,
    firm: true,
    basis,
    forecastDemandWh: inputs.forecastDemandWh,
    forecastSupplyWh: inputs.forecastSupplyWh,
    model: pricing.model,
    modelVersion,
    feedInPrice: priced.feedInPrice,
    explanation: { inputs, parameters: pricing, rawPriceExTax: priced.rawPriceExTax, utilisation: priced.utilisation, band: priced.band, constrainedBy: priced.constrainedBy },
  };
}

/** The fallback announcement for an interval no firm price covers (not firm; the region's documented rate). */
export function fallbackPrice(regionId: string, interval: { start: number; end: number }, pricing: PricingModel, modelVersion: number): Price {
  const rate = fallbackPriceOf(pricing);
  return {
    regionId,
    intervalStart: interval.start,
    intervalEnd: interval.end,
    validFrom: interval.start,
    validTo: interval.end,
    ...rate,
    currency: pricing.currency,
    unit: 'kWh',
    firm: false,
    basis: 'fallback',
    forecastDemandWh: null,
    forecastSupplyWh: null,
    model: pricing.model,
    modelVersion,
    feedInPrice: pricing.feedInPrice ?? '0.0000',
  };
}

/** The version of a region's pricing in force for an interval starting at `intervalStart` (the newest effective by then). */
export function versionInForce(versions: PricingVersion[], intervalStart: number): PricingVersion {
  let chosen = versions[0];
  for (const v of versions) if ((v.effectiveFrom ?? -Infinity) <= intervalStart && v.version >= chosen.version) chosen = v;
  if (!chosen) throw new Error('a region without pricing');
  return chosen;
}

/**
 * A region's event time: its watermark (the latest reading time seen), advanced by the wall
 * clock since the last reading arrived, so a quiet or stalled region's clock still moves and
 * its prices expire; before any reading, the wall clock.
 */
export function regionNow(watermark: number | null, lastArrivalAt: number | null, wallNow: number): number {
  if (watermark === null || lastArrivalAt === null) return wallNow;
  return watermark + Math.max(0, wallNow - lastArrivalAt);
}

/** Measured utilisation and the level the interval would have had under critical-peak-5 (nulls for models without capacity). */
export function expostOutcome(aggregate: { intervalStart: number; intervalEnd: number; demandWh: number; supplyWh: number }, pricing: PricingModel): { utilisation: number | null; level: Level | null } {
  if (pricing.model !== 'critical-peak-5') return { utilisation: null, level: null };
  const { level, utilisation } = criticalPeakLevel(aggregate, pricing);
  return { utilisation, level };
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
  return { price: fallback.price, priceExTax: fallback.priceExTax, tax: fallback.tax, feedInPrice: pricing.feedInPrice ?? '0', basis: 'fallback' };
}
