import { billingRates, type BillingRates } from './billing/terms';
import { DomainError } from './errors';
import type { Price, PricingVersion } from './prices';

/**
 * A household's tariffs over time: the one it was provisioned on (`from: null`, since the
 * beginning), then each change, in force from an interval start, oldest first.
 */
export interface TariffPeriod {
  tariff: string;
  from: number | null;
}

/** A tariff code: an MQTT topic level of `prices/{region}/{tariff}/…`, never one of that topic's own last levels. */
export const TARIFF_CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const RESERVED_TARIFF_CODES = new Set(['current', 'forecast']);

export function isTariffCode(code: string): boolean {
  return TARIFF_CODE_PATTERN.test(code) && !RESERVED_TARIFF_CODES.has(code);
}

/** The tariff a household is on at `at`. */
export function tariffAt(plan: TariffPeriod[], at: number): string {
  let chosen = plan[0];
  for (const p of plan) if ((p.from ?? -Infinity) <= at) chosen = p;
  if (!chosen) throw new Error('a household without a tariff');
  return chosen.tariff;
}

/** Every tariff a household is on at `at` or will be after it, in plan order: whose prices it may read. */
export function tariffsFrom(plan: TariffPeriod[], at: number): string[] {
  const current = tariffAt(plan, at);
  return [...new Set([current, ...plan.filter((p) => (p.from ?? -Infinity) > at).map((p) => p.tariff)])];
}

/**
 * A household's billing rates: each interval at the price of the tariff it was on at the
 * interval's start, each day under the terms (standing charge, shadow reference, protection cap)
 * of the tariff it was on at the day's start — as a pricing version changed mid-day applies its
 * terms from the next day.
 */
export function householdRates(plan: TariffPeriod[], ratesOf: (tariff: string) => BillingRates): BillingRates {
  if (plan.length === 1) return ratesOf(plan[0].tariff);
  return {
    priceAt: (start) => ratesOf(tariffAt(plan, start)).priceAt(start),
    termsOn: (day) => ratesOf(tariffAt(plan, day)).termsOn(day),
  };
}

/**
 * The billing rates of each of a region's tariffs, built once each on first use, from its firm
 * prices and versions (a tariff with no prices read bills at its fallback).
 */
export function tariffRatesOf(prices: Map<string, Price[]>, versions: Map<string, PricingVersion[]>): (tariff: string) => BillingRates {
  const built = new Map<string, BillingRates>();
  return (tariff) => {
    let rates = built.get(tariff);
    if (!rates) {
      const of = versions.get(tariff);
      if (!of || of.length === 0) throw new Error(`no pricing for tariff ${tariff}`);
      rates = billingRates(prices.get(tariff) ?? [], of);
      built.set(tariff, rates);
    }
    return rates;
  };
}

/**
 * Admits a change of a household's tariff: to a tariff its region offers, other than the one it
 * will be on then, from an interval start after the interval running now in the region's time
 * (never retroactive: every reading and price before it keeps its tariff). The plan it leaves:
 * changes at or after `from` are replaced by this one.
 */
export function planWithChange(
  plan: TariffPeriod[],
  change: { tariff: string; from: number },
  offered: string[],
  regionNow: number,
  intervalMs: number,
): TariffPeriod[] {
  if (!offered.includes(change.tariff))
    throw new DomainError('validation_failed', `tariff: the region offers no tariff "${change.tariff}"; it offers ${offered.join(', ')}`, {
      field: 'tariff',
    });
  checkEffectiveFrom(change.from, regionNow, intervalMs, 'a tariff');
  const kept = plan.filter((p) => (p.from ?? -Infinity) < change.from);
  if (tariffAt(kept, change.from) === change.tariff)
    throw new DomainError('conflict', `the household is already on "${change.tariff}" at ${new Date(change.from).toISOString()}`, {
      field: 'tariff',
    });
  return [...kept, { tariff: change.tariff, from: change.from }];
}

/**
 * What a change of a household's plan (its tariff, region or cohort) may start at: an interval
 * start after the interval running now in the region's time, never retroactively (`what` names
 * the thing changed in the refusal).
 */
export function checkEffectiveFrom(from: number, regionNow: number, intervalMs: number, what: string): void {
  if (from % intervalMs !== 0)
    throw new DomainError('validation_failed', `effectiveFrom: must be an interval start (a multiple of ${intervalMs / 1000} s)`, {
      field: 'effectiveFrom',
    });
  const next = Math.floor(regionNow / intervalMs) * intervalMs + intervalMs;
  if (from < next)
    throw new DomainError(
      'validation_failed',
      `effectiveFrom: must be at or after ${new Date(next).toISOString()}, the next interval in the region's time: ${what} never changes retroactively`,
      { field: 'effectiveFrom' },
    );
}
