import {
  criticalPeakLevel,
  fallbackPriceOf,
  priceSequence,
  type Money,
  type PriceInputs,
  type PricedInterval,
  type PricingModel,
} from './pricing';
import type { PeakEvent } from './events';
import type { IntervalForecast } from './forecast';
import type { Level, ModelName, PriceBasis, PriceConstraint } from './vocabulary';

/** A price as announced (the contract's price): for one interval of one region, valid from `validFrom` to `validTo`. */
export interface Price {
  regionId: string;
  /** The tariff of the region the price is of (a region offers one or more; see `Region.defaultTariff`). */
  tariff: string;
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

/** One tariff of one region: what prices, pricing versions and schedules belong to. */
export interface TariffRef {
  regionId: string;
  tariff: string;
}

/** What a firm price was computed from and how: enough to recompute it. */
export interface PriceExplanation {
  inputs: PriceInputs;
  parameters: PricingModel;
  rawPriceExTax: Money;
  /** The model's own level before floor, cap and ramp (the announced level is the price charged's). */
  modelLevel?: Level;
  utilisation: number | null;
  band: string | null;
  constrainedBy: PriceConstraint[];
}

/**
 * The one tariff type: a price with when it was computed (announced) and, for a firm one, what
 * from. Pricing makes it, the tariffs table stores it, the API and the outboxes read it; the
 * stream carries its contract shape (`tariffRecord` in libs/contracts), without the explanation.
 */
export interface Tariff extends Price {
  computedAt: number;
  explanation?: PriceExplanation;
}

/** One version of a region's pricing, in force for intervals starting at or after `effectiveFrom` (null: from the beginning). */
export interface PricingVersion {
  regionId: string;
  /** The tariff it prices: each of a region's tariffs has its own versions. */
  tariff: string;
  version: number;
  effectiveFrom: number | null;
  pricing: PricingModel;
  createdAt: number;
}

type NoPrice = Extract<PricedInterval, { ok: false }>;

function tariffOf(
  inputs: PriceInputs,
  priced: Extract<PricedInterval, { ok: true }>,
  version: Pick<PricingVersion, 'pricing' | 'version' | 'tariff'>,
  basis: Exclude<PriceBasis, 'fallback'>,
  computedAt: number,
): Tariff {
  const { pricing, version: modelVersion } = version;
  return {
    regionId: inputs.regionId,
    tariff: version.tariff,
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
    computedAt,
    explanation: {
      inputs,
      parameters: pricing,
      rawPriceExTax: priced.rawPriceExTax,
      modelLevel: priced.modelLevel,
      utilisation: priced.utilisation,
      band: priced.band,
      constrainedBy: priced.constrainedBy,
    },
  };
}

/** A firm price from its inputs under one version of the region's pricing, or why there is none. */
export function firmPrice(
  inputs: PriceInputs,
  version: Pick<PricingVersion, 'pricing' | 'version' | 'tariff'>,
  basis: Exclude<PriceBasis, 'fallback'>,
  computedAt: number,
): Tariff | NoPrice {
  const [priced] = priceSequence([inputs], () => version.pricing, inputs.previousPriceExTax);
  return priced.ok ? tariffOf(inputs, priced, version, basis, computedAt) : priced;
}

/**
 * Firm prices of consecutive intervals (a day-ahead schedule), in order through `priceSequence`:
 * each ramp-limited against the firm price before it (`previous` before the first), under the
 * version in force at its start. An interval the model cannot price gets none (it runs at the
 * fallback, announced as such) and the ramp goes on from the last firm price.
 */
export function firmPrices(
  inputs: Omit<PriceInputs, 'previousPriceExTax'>[],
  versions: PricingVersion[],
  previous: Money | null,
  basis: Exclude<PriceBasis, 'fallback'>,
  computedAt: number,
): Tariff[] {
  const priced = priceSequence(inputs, (start) => versionInForce(versions, start).pricing, previous);
  let prev = previous;
  const tariffs: Tariff[] = [];
  priced.forEach((p, i) => {
    if (!p.ok) return;
    const version = versionInForce(versions, inputs[i].intervalStart);
    tariffs.push(tariffOf({ ...inputs[i], previousPriceExTax: prev }, p, version, basis, computedAt));
    prev = p.priceExTax;
  });
  return tariffs;
}

/** The fallback announcement for an interval no firm price covers (not firm; the region's documented rate). */
export function fallbackPrice(
  regionId: string,
  interval: { start: number; end: number },
  version: Pick<PricingVersion, 'pricing' | 'version' | 'tariff'>,
  computedAt: number,
): Tariff {
  const { pricing } = version;
  const rate = fallbackPriceOf(pricing);
  return {
    regionId,
    tariff: version.tariff,
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
    modelVersion: version.version,
    feedInPrice: pricing.feedInPrice ?? '0.0000',
    computedAt,
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
 * A region's event clock: its watermark (the latest reading time seen) and its lead — the most
 * the watermark has ever been ahead of the wall clock at a store (negative for a replay of old
 * data, about zero live). The region's time is the wall clock plus its lead, so it runs with the
 * wall clock while the region is quiet or stalled (its prices expire), jumps forward with a
 * replay, and never goes back: a backlog arriving late moves neither the watermark nor the lead.
 */
export interface EventClock {
  watermark: number;
  lead: number;
}

/** The event clock after a store at `storedAt` whose newest reading time (capped at its receipt) is `newest`. */
export function advanceEventClock(clock: EventClock | null, newest: number, storedAt: number): EventClock {
  const watermark = Math.max(clock?.watermark ?? -Infinity, newest);
  return { watermark, lead: Math.max(clock?.lead ?? -Infinity, watermark - storedAt) };
}

/** A region's event time at `wallNow`: the wall clock advanced by its lead; before any reading, the wall clock. */
export function regionNow(lead: number | null, wallNow: number): number {
  return lead === null ? wallNow : wallNow + lead;
}

/** Measured utilisation and the level the interval would have had under critical-peak-5 (nulls for models without capacity). */
export function expostOutcome(
  aggregate: { intervalStart: number; intervalEnd: number; demandWh: number; supplyWh: number },
  pricing: PricingModel,
): { utilisation: number | null; level: Level | null } {
  if (pricing.model !== 'critical-peak-5') return { utilisation: null, level: null };
  const { level, utilisation } = criticalPeakLevel(aggregate, pricing);
  return { utilisation, level };
}

/** What pricing reads for an interval besides its previous price: the forecast and the market's inputs. */
export interface IntervalMarket {
  forecast: IntervalForecast | null;
  /** Events overlapping the interval's day (the one covering the interval applies). */
  events: PeakEvent[];
  wholesale: Map<number, Money>;
  scheduled: Map<number, { price: Money; band: string | null }>;
}

/** An interval's price inputs from what pricing read (everything but the previous price, which the sequence carries). */
export function priceInputsFor(
  regionId: string,
  interval: { start: number; end: number },
  timeZone: string,
  market: IntervalMarket,
): Omit<PriceInputs, 'previousPriceExTax'> {
  const { start } = interval;
  const event = market.events.find((e) => e.start <= start && start < e.end);
  const f = market.forecast;
  return {
    regionId,
    intervalStart: start,
    intervalEnd: interval.end,
    timeZone,
    forecastDemandWh: f?.demandWh ?? null,
    forecastSupplyWh: f?.supplyWh ?? null,
    forecastMethod: f?.method ?? null,
    wholesalePrice: market.wholesale.get(start) ?? null,
    scheduledPrice: market.scheduled.get(start) ?? null,
    event: event ? { id: event.id, level: event.level } : null,
  };
}
