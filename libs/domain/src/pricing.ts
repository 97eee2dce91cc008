// Long on purpose: the five pricing models, their parameters and the one pure function that prices an interval
// under any of them; each model is a few lines of one switch.
import Decimal from 'decimal.js';
import { dayType, localParts, localSecondOfDay } from './local-time';
import type { DayType, Level, PriceConstraint, PricingMode } from './vocabulary';

/**
 * Pricing models a region can use, chosen and parameterised per region (versioned, each
 * version effective from a time). Prices are decimal strings per kWh (money is never a float),
 * before tax unless named otherwise. Every model is a pure function of the interval's inputs
 * (forecast, wholesale price, imported schedule, declared event, previous price), so a stored
 * price can always be recomputed from what it was computed from.
 */
export type Money = string;

export interface PricingCommon {
  currency: string;
  /** `day-ahead` (default): every interval of tomorrow priced at the cut-off; `intraday`: the next interval priced while the one before it runs. */
  mode?: PricingMode;
  /** Day-ahead cut-off, local `HH:MM` on the day before (default 16:00). */
  cutoff?: string;
  /** Bounds on the price before tax, and the largest step between consecutive intervals. */
  floor?: Money;
  cap?: Money;
  maxStep?: Money;
  /** Tax as a fraction of the price before tax (0.05 is 5 %); shown apart. */
  taxRate?: string;
  /** Paid per kWh exported (before tax); 0 when unset. */
  feedInPrice?: Money;
  /** Published (marked `fallback`) when no firm price covers now; see `fallbackPriceOf`. */
  fallbackPrice?: Money;
  /** Critical-peak events an operator may declare per local calendar year (default 12). */
  eventBudget?: number;
  /** The flat reference tariff per kWh, tax included: the shadow bill every bill shows beside it. */
  referencePrice?: Money;
  /** Per day, before tax (0 when unset). */
  standingChargePerDay?: Money;
  /** Household protection: the most a household pays over its shadow bill per calendar year. */
  protectionCapPerYear?: Money;
}

export const DEFAULT_EVENT_BUDGET = 12;

export interface CriticalPeak5 extends PricingCommon {
  model: 'critical-peak-5';
  /** Five unit prices per kWh, level 1 (plenty of supply) to level 5 (critical peak). */
  levelPrices: [Money, Money, Money, Money, Money];
  /** Grid supply available to the region, kW. */
  capacityKw: number;
  /** Utilisation at which levels 2, 3, 4 and 5 start; ascending. */
  thresholds: [number, number, number, number];
}

export interface FlatModel extends PricingCommon {
  model: 'flat';
  price: Money;
}

export interface TimeOfUseBand {
  name: string;
  level: Level;
  price: Money;
  /** Local clock times; `to` is exclusive and may be earlier than `from` (a band across midnight). */
  from: string;
  to: string;
  /** Day types the band applies to (default both). */
  days?: DayType[];
  /** Months 1..12 the band applies to (default all): the season. */
  months?: number[];
}

export interface TimeOfUse extends PricingCommon {
  model: 'time-of-use';
  /** The first band that matches an interval's start applies … */
  bands: TimeOfUseBand[];
  /** … and this one where none does. */
  otherwise: Omit<TimeOfUseBand, 'from' | 'to' | 'days' | 'months'>;
}

/** Agile's shape: `min(multiplier × W + peakAdder (in the peak window), cap)`. */
export interface WholesaleIndexed extends PricingCommon {
  model: 'wholesale-indexed';
  multiplier: string;
  peakAdder: Money;
  peakFrom: string;
  peakTo: string;
  cap: Money;
}

/** A published schedule (for example LCL's 2013 dynamic tariff) applied as it is. */
export interface PublishedSchedule extends PricingCommon {
  model: 'schedule';
  fallbackPrice: Money;
}

export type PricingModel = CriticalPeak5 | FlatModel | TimeOfUse | WholesaleIndexed | PublishedSchedule;

export const DEFAULT_PRICING_MODEL: CriticalPeak5 = {
  model: 'critical-peak-5',
  currency: 'JPY',
  levelPrices: ['15', '50', '75', '100', '150'],
  capacityKw: 100,
  thresholds: [0.5, 0.7, 0.85, 1.0],
};

export const DEFAULT_CUTOFF = '16:00';

/** Everything one interval's price is computed from; stored beside the price so it explains itself. */
export interface PriceInputs {
  regionId: string;
  intervalStart: number;
  intervalEnd: number;
  timeZone: string;
  forecastDemandWh: number | null;
  forecastSupplyWh: number | null;
  forecastMethod: string | null;
  /** The wholesale price for the interval (wholesale-indexed). */
  wholesalePrice: Money | null;
  /** The imported schedule's price and band for the interval (schedule). */
  scheduledPrice: { price: Money; band: string | null } | null;
  /** A critical-peak event declared for the interval (critical-peak-5). */
  event: { id: string; level: Level } | null;
  /** The price before tax of the interval before, for the ramp limit. */
  previousPriceExTax: Money | null;
}

export type PricedInterval =
  | {
      ok: true;
      /** The level of the price charged: the model's own level, or, once ramp, cap or floor moved the price, the level that price sits at. */
      level: Level;
      /** The level the model gave before floor, cap and ramp (kept in the explanation). */
      modelLevel: Level;
      /** The model's price before floor, cap and ramp. */
      rawPriceExTax: Money;
      priceExTax: Money;
      tax: Money;
      price: Money;
      /** Forecast net demand over capacity (critical-peak-5), else null. */
      utilisation: number | null;
      band: string | null;
      constrainedBy: PriceConstraint[];
      feedInPrice: Money;
    }
  | { ok: false; reason: 'no_forecast' | 'no_wholesale_price' | 'no_scheduled_price'; detail: string };

/** Money as a decimal string: at least 4 places, more where the value has them (0.0399 stays 0.0399), at most 6. */
export function money(value: Decimal.Value): Money {
  const d = new Decimal(value).toDecimalPlaces(6);
  return d.toFixed(Math.max(4, d.decimalPlaces()));
}

/** Prices one interval under one model. Pure and deterministic. */
export function priceInterval(inputs: PriceInputs, pricing: PricingModel): PricedInterval {
  const raw = rawPrice(inputs, pricing);
  if (!raw.ok) return raw;
  const constrainedBy: PriceConstraint[] = [];
  let p = new Decimal(raw.price);
  // A declared critical-peak event is announced with notice at its level's price: not ramped into.
  if (pricing.maxStep !== undefined && inputs.previousPriceExTax !== null && !(inputs.event && pricing.model === 'critical-peak-5')) {
    const prev = new Decimal(inputs.previousPriceExTax);
    const step = new Decimal(pricing.maxStep);
    const limited = Decimal.min(Decimal.max(p, prev.minus(step)), prev.plus(step));
    if (!limited.equals(p)) constrainedBy.push('ramp');
    p = limited;
  }
  // Floor and cap are hard bounds: they win over the ramp (which holds whenever the previous price was within them).
  if (pricing.cap !== undefined && p.greaterThan(pricing.cap)) {
    p = new Decimal(pricing.cap);
    constrainedBy.push('cap');
  }
  if (pricing.floor !== undefined && p.lessThan(pricing.floor)) {
    p = new Decimal(pricing.floor);
    constrainedBy.push('floor');
  }
  const priceExTax = money(p);
  const tax = money(new Decimal(priceExTax).times(pricing.taxRate ?? '0'));
  return {
    ok: true,
    level: constrainedBy.length === 0 ? raw.level : levelOfPrice(p, pricing, raw.level),
    modelLevel: raw.level,
    rawPriceExTax: money(raw.price),
    priceExTax,
    tax,
    price: money(new Decimal(priceExTax).plus(tax)),
    utilisation: raw.utilisation,
    band: raw.band,
    constrainedBy,
    feedInPrice: money(pricing.feedInPrice ?? '0'),
  };
}

/**
 * The level a price (before tax) sits at under a model, for a price ramp, cap or floor moved:
 * displays colour by the level, so it must say what is charged. The model's ladder of prices
 * (critical-peak-5's five, a time-of-use tariff's bands) gives the level of the highest rung at
 * or below the price (the lowest rung's below all); wholesale-indexed places it between 0 and its
 * cap in fifths as it does the raw price; a flat price is level 1; a published schedule has no
 * ladder, so its band's level stands.
 */
export function levelOfPrice(priceExTax: Decimal.Value, pricing: PricingModel, modelLevel: Level): Level {
  const p = new Decimal(priceExTax);
  switch (pricing.model) {
    case 'flat':
      return 1;
    case 'schedule':
      return modelLevel;
    case 'wholesale-indexed':
      return wholesaleLevel(p, pricing.cap);
    case 'critical-peak-5':
      return ladderLevel(
        p,
        pricing.levelPrices.map((price, i) => ({ price, level: (i + 1) as Level })),
      );
    case 'time-of-use':
      return ladderLevel(p, [...pricing.bands, pricing.otherwise]);
  }
}

function ladderLevel(p: Decimal, rungs: { price: Money; level: Level }[]): Level {
  const sorted = [...rungs].sort((a, b) => new Decimal(a.price).comparedTo(b.price) || a.level - b.level);
  let level = sorted[0].level;
  for (const rung of sorted) if (p.greaterThanOrEqualTo(rung.price)) level = rung.level;
  return level;
}

/** Where a price sits between 0 and the cap, in fifths. */
function wholesaleLevel(price: Decimal, cap: Money): Level {
  const share = new Decimal(cap).lessThanOrEqualTo(0) ? 1 : Decimal.max(price, 0).dividedBy(cap).toNumber();
  return Math.min(5, 1 + Math.floor(share * 5)) as Level;
}

/** Prices consecutive intervals in order, each ramp-limited against the one before (`previous` before the first). */
export function priceSequence(
  inputs: Omit<PriceInputs, 'previousPriceExTax'>[],
  pricingAt: (intervalStart: number) => PricingModel,
  previous: Money | null,
): PricedInterval[] {
  let prev = previous;
  return inputs.map((input) => {
    const priced = priceInterval({ ...input, previousPriceExTax: prev }, pricingAt(input.intervalStart));
    prev = priced.ok ? priced.priceExTax : prev;
    return priced;
  });
}

/** The rate published when no firm price covers now: the region's `fallbackPrice`, else the model's middle rate. */
export function fallbackPriceOf(pricing: PricingModel): { priceExTax: Money; tax: Money; price: Money; level: Level } {
  const exTax = pricing.fallbackPrice ?? defaultFallback(pricing);
  const priceExTax = money(exTax);
  const tax = money(new Decimal(priceExTax).times(pricing.taxRate ?? '0'));
  return { priceExTax, tax, price: money(new Decimal(priceExTax).plus(tax)), level: pricing.model === 'flat' ? 1 : 3 };
}

function defaultFallback(pricing: PricingModel): Money {
  switch (pricing.model) {
    case 'critical-peak-5':
      return pricing.levelPrices[2];
    case 'flat':
      return pricing.price;
    case 'time-of-use':
      return pricing.otherwise.price;
    case 'wholesale-indexed':
      return pricing.cap;
    case 'schedule':
      return pricing.fallbackPrice;
  }
}

/** Level 1..5 from net demand over the capacity available in the interval. */
export function criticalPeakLevel(
  input: { intervalStart: number; intervalEnd: number; demandWh: number; supplyWh: number },
  model: Pick<CriticalPeak5, 'capacityKw' | 'thresholds'>,
): { level: Level; utilisation: number } {
  const utilisation = utilisationOf(input, model.capacityKw);
  let level = 1;
  for (const threshold of model.thresholds) if (utilisation >= threshold) level += 1;
  return { level: level as Level, utilisation };
}

/** Net demand (consumption minus local generation, never below 0) over the capacity of the interval. */
export function utilisationOf(
  input: { intervalStart: number; intervalEnd: number; demandWh: number; supplyWh: number },
  capacityKw: number,
): number {
  const capacityWh = capacityKw * 1000 * ((input.intervalEnd - input.intervalStart) / 3_600_000);
  const netDemandWh = Math.max(0, input.demandWh - input.supplyWh);
  return capacityWh > 0 ? netDemandWh / capacityWh : Infinity;
}

type RawPrice = { ok: true; price: Decimal.Value; level: Level; utilisation: number | null; band: string | null };

function rawPrice(inputs: PriceInputs, pricing: PricingModel): RawPrice | Extract<PricedInterval, { ok: false }> {
  switch (pricing.model) {
    case 'flat':
      return { ok: true, price: pricing.price, level: 1, utilisation: null, band: null };
    case 'critical-peak-5': {
      if (inputs.event)
        return {
          ok: true,
          price: pricing.levelPrices[inputs.event.level - 1],
          level: inputs.event.level,
          utilisation: null,
          band: `event ${inputs.event.id}`,
        };
      if (inputs.forecastDemandWh === null) return { ok: false, reason: 'no_forecast', detail: 'no forecast of demand for the interval' };
      const { level, utilisation } = criticalPeakLevel(
        { ...inputs, demandWh: inputs.forecastDemandWh, supplyWh: inputs.forecastSupplyWh ?? 0 },
        pricing,
      );
      return { ok: true, price: pricing.levelPrices[level - 1], level, utilisation, band: null };
    }
    case 'time-of-use': {
      const band = timeOfUseBand(inputs.intervalStart, inputs.timeZone, pricing);
      return { ok: true, price: band.price, level: band.level, utilisation: null, band: band.name };
    }
    case 'wholesale-indexed': {
      if (inputs.wholesalePrice === null)
        return { ok: false, reason: 'no_wholesale_price', detail: 'no wholesale price uploaded for the interval' };
      const second = localSecondOfDay(inputs.intervalStart, inputs.timeZone);
      const peak = inWindow(second, pricing.peakFrom, pricing.peakTo);
      const price = Decimal.min(
        new Decimal(pricing.multiplier).times(inputs.wholesalePrice).plus(peak ? pricing.peakAdder : 0),
        pricing.cap,
      );
      return { ok: true, price, level: wholesaleLevel(price, pricing.cap), utilisation: null, band: peak ? 'peak' : null };
    }
    case 'schedule': {
      if (!inputs.scheduledPrice)
        return { ok: false, reason: 'no_scheduled_price', detail: 'the imported schedule has no price for the interval' };
      return {
        ok: true,
        price: inputs.scheduledPrice.price,
        level: SCHEDULE_BAND_LEVEL[inputs.scheduledPrice.band?.toLowerCase() ?? ''] ?? 3,
        utilisation: null,
        band: inputs.scheduledPrice.band,
      };
    }
  }
}

/** LCL's bands (Low, Normal, High) as display levels. */
const SCHEDULE_BAND_LEVEL: Record<string, Level> = { low: 1, normal: 3, high: 5 };

export function timeOfUseBand(intervalStart: number, timeZone: string, pricing: TimeOfUse): Omit<TimeOfUseBand, 'from' | 'to'> {
  const second = localSecondOfDay(intervalStart, timeZone);
  const month = localParts(intervalStart, timeZone).month;
  const type = dayType(intervalStart, timeZone);
  return (
    pricing.bands.find(
      (b) => (!b.months || b.months.includes(month)) && (!b.days || b.days.includes(type)) && inWindow(second, b.from, b.to),
    ) ?? pricing.otherwise
  );
}

const secondsOf = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 3600 + m * 60;
};

/** Is a local second of day inside [from, to) (which may wrap past midnight)? */
function inWindow(second: number, from: string, to: string): boolean {
  const a = secondsOf(from);
  const b = secondsOf(to);
  return a <= b ? second >= a && second < b : second >= a || second < b;
}
