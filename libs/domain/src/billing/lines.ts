import Decimal from 'decimal.js';
import { periodKey } from '../local-time';
import { money, type Money } from '../pricing';
import type { BillGroupBy, PriceBasis } from '../vocabulary';
import type { BillingPrice, BillingTerms } from './terms';

/** A revision of a bill line by readings that arrived after the interval was priced. */
export interface BillLineRevision {
  version: number;
  consumptionDeltaWh: number;
  generationDeltaWh: number;
  readingsDelta: number;
  reason: string;
  revisedBy: string;
  revisedAt: string;
}

/** Energy of one meter in one interval, as billed; `version` and `revisions` tell of late data. */
export interface MeterIntervalEnergy {
  intervalStart: number;
  intervalEnd: number;
  consumptionWh: number;
  generationWh: number;
  version?: number;
  revisions?: BillLineRevision[];
}

export interface BillLine extends MeterIntervalEnergy {
  price: Money;
  priceExTax: Money;
  feedInPrice: Money;
  basis: PriceBasis;
  energyCharge: Money;
  tax: Money;
  exportCredit: Money;
  cost: Money;
  shadowCost: Money | null;
}

export interface BillTotals {
  consumptionWh: number;
  generationWh: number;
  /** Consumption at the prices before tax. */
  energyCharge: Money;
  standingCharge: Money;
  tax: Money;
  /** Exported generation at the feed-in price (subtracted). */
  exportCredit: Money;
  /** energy + standing + tax − export credit, before protection. */
  total: Money;
  /** Energy billed at a fallback rate (no firm price was announced for its interval). */
  fallbackWh: number;
}

export interface BillGroup extends BillTotals {
  period: string;
  shadowTotal: Money | null;
  protectionRefund: Money;
}

/** A line with its amounts exact (sums are taken on these; only what is shown is rounded). */
export interface ExactLine {
  shown: BillLine;
  energy: Decimal;
  tax: Decimal;
  credit: Decimal;
  cost: Decimal;
  shadow: Decimal | null;
}

/** A local day of a bill: its charges and the protection it refunded, exact. */
export interface BillDay {
  start: number;
  terms: BillingTerms;
  standing: Decimal;
  standingTax: Decimal;
  refund: Decimal;
}

const kwh = (wh: number) => new Decimal(wh).dividedBy(1000);
const ZERO = new Decimal(0);
const round3 = (wh: number) => Math.round(wh * 1000) / 1000;

/** Prices repeat (a handful of levels, one feed-in price): each decimal string is parsed once. */
export function decimalCache(): (v: string) => Decimal {
  const decimals = new Map<string, Decimal>();
  return (v) => {
    let d = decimals.get(v);
    if (!d) decimals.set(v, (d = new Decimal(v)));
    return d;
  };
}

/** One interval's consumption at its price (tax apart), export credited at the feed-in price, and the shadow cost. */
export function exactLine(e: MeterIntervalEnergy, p: BillingPrice, terms: BillingTerms, dec: (v: string) => Decimal): ExactLine {
  const consumed = kwh(e.consumptionWh);
  const energy = consumed.times(dec(p.priceExTax));
  const tax = consumed.times(dec(p.tax));
  const credit = e.generationWh === 0 ? ZERO : kwh(e.generationWh).times(dec(p.feedInPrice));
  const cost = energy.plus(tax).minus(credit);
  const shadow = terms.referencePrice === null ? null : consumed.times(dec(terms.referencePrice)).minus(credit);
  return {
    energy,
    tax,
    credit,
    cost,
    shadow,
    shown: {
      ...e,
      price: p.price,
      priceExTax: p.priceExTax,
      feedInPrice: p.feedInPrice,
      basis: p.basis,
      energyCharge: money(energy),
      tax: money(tax),
      exportCredit: money(credit),
      cost: money(cost),
      shadowCost: shadow === null ? null : money(shadow),
    },
  };
}

/** The shadow bill of lines and days: their energy under the reference tariff plus the days' charges (null without one). */
export function shadowOf(lines: ExactLine[], days: BillDay[]): Decimal | null {
  if (!lines.every((l) => l.shadow !== null)) return null;
  return lines
    .reduce((s, l) => s.plus(l.shadow!), new Decimal(0))
    .plus(days.reduce((s, d) => s.plus(d.standing).plus(d.standingTax), new Decimal(0)));
}

export function sumTotals(lines: ExactLine[], days: Pick<BillDay, 'standing' | 'standingTax'>[]): BillTotals {
  const sum = (pick: (l: ExactLine) => Decimal) => lines.reduce((s, l) => s.plus(pick(l)), new Decimal(0));
  const standing = days.reduce((s, d) => s.plus(d.standing), new Decimal(0));
  const standingTax = days.reduce((s, d) => s.plus(d.standingTax), new Decimal(0));
  const energy = sum((l) => l.energy);
  const tax = sum((l) => l.tax).plus(standingTax);
  const credit = sum((l) => l.credit);
  return {
    consumptionWh: round3(lines.reduce((s, l) => s + l.shown.consumptionWh, 0)),
    generationWh: round3(lines.reduce((s, l) => s + l.shown.generationWh, 0)),
    energyCharge: money(energy),
    standingCharge: money(standing),
    tax: money(tax),
    exportCredit: money(credit),
    total: money(energy.plus(standing).plus(tax).minus(credit)),
    fallbackWh: round3(lines.filter((l) => l.shown.basis === 'fallback').reduce((s, l) => s + l.shown.consumptionWh, 0)),
  };
}

/** Lines and days grouped by local hour, day, week or month (none for `interval`). */
export function groupLines(
  lines: ExactLine[],
  days: BillDay[],
  groupBy: BillGroupBy,
  timeZone: string,
  dayOf: (ms: number) => number,
): BillGroup[] {
  if (groupBy === 'interval') return [];
  // A day, week or month is known from the local day an instant falls in: one zone lookup a day, not one a line.
  const byDay = new Map<number, string>();
  const keyOf = (ms: number) => {
    if (groupBy === 'hour') return periodKey(ms, 'hour', timeZone);
    const day = dayOf(ms);
    let key = byDay.get(day);
    if (key === undefined) byDay.set(day, (key = periodKey(day, groupBy, timeZone)));
    return key;
  };
  const linesOf = groupInto(lines, (l) => keyOf(l.shown.intervalStart));
  // Daily charges and refunds belong to the day's group (hourly groups carry none).
  const daysOf = groupBy === 'hour' ? new Map<string, BillDay[]>() : groupInto(days, (d) => keyOf(d.start));
  const keys = [...new Set([...linesOf.keys(), ...daysOf.keys()])].sort();
  return keys.map((period) => {
    const mine = linesOf.get(period) ?? [];
    const myDays = daysOf.get(period) ?? [];
    const shadow = shadowOf(mine, myDays);
    return {
      period,
      ...sumTotals(mine, myDays),
      shadowTotal: shadow === null ? null : money(shadow),
      protectionRefund: money(myDays.reduce((s, d) => s.plus(d.refund), new Decimal(0))),
    };
  });
}

/** Items grouped by a key, each group in the items' order. */
export function groupInto<T, K>(items: Iterable<T>, keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list) list.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
