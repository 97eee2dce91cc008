import Decimal from 'decimal.js';
import { localDayStart, localDayStartsBetween, localParts } from './local-time';
import { money, type Money } from './pricing';
import type { PriceBasis } from './prices';

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

export type BillGroupBy = 'interval' | 'hour' | 'day' | 'week' | 'month';

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

export interface Bill {
  lines: BillLine[];
  groups: BillGroup[];
  totals: BillTotals;
  shadow: { total: Money; difference: Money } | null;
  protection: { capPerYear: Money; usedBefore: Money; refund: Money; usedAfter: Money; remaining: Money } | null;
  /** What the household owes: total − protection refund. */
  due: Money;
}

export interface BillInput {
  timeZone: string;
  from: number;
  to: number;
  /**
   * Energy per interval from the start of the local year of `from` (for the protection cap) to
   * `to` — or only from `from`'s local day when `protectionUsedBefore` is given.
   */
  energy: MeterIntervalEnergy[];
  priceAt: (intervalStart: number) => BillingPrice;
  termsOn: (dayStart: number) => BillingTerms;
  groupBy: BillGroupBy;
  /**
   * The protection already refunded this calendar year before `from`'s local day (a bill over
   * [year start, that day) gives it as `protection.usedAfter`): the cap's account carried in, so
   * the year before need not be read again.
   */
  protectionUsedBefore?: Money;
}

const kwh = (wh: number) => new Decimal(wh).dividedBy(1000);
const ZERO = new Decimal(0);

/** A line with its amounts exact (sums are taken on these; only what is shown is rounded). */
interface ExactLine {
  shown: BillLine;
  energy: Decimal;
  tax: Decimal;
  credit: Decimal;
  cost: Decimal;
  shadow: Decimal | null;
}

/**
 * A household's bill, pure: each interval's consumption at its price (before tax, tax apart),
 * minus its exported generation at the feed-in price; a daily standing charge; the shadow bill
 * under the region's flat reference tariff beside it; and household protection — each local
 * day's excess over the shadow bill is refunded while the calendar year's cap lasts (the
 * Kitakyushu pilot's fund), so the cap is spent the same whatever the bill's boundaries.
 * Meters are gross-metered: all consumption is imported, all generation exported.
 */
export function buildBill(input: BillInput): Bill {
  return billAndAccount(input).bill;
}

/**
 * The protection refunded in the calendar year up to the end of the bill's window, exact (not
 * rounded as a bill shows it): what a later bill or summary carries in as `protectionUsedBefore`
 * without a rounding step between days.
 */
export function protectionUsedExact(input: BillInput): Money {
  return billAndAccount(input).used.toFixed(); // never exponent notation (Decimal's toString gives 1.2e-7)
}

function billAndAccount(input: BillInput): { bill: Bill; used: Decimal } {
  const { timeZone } = input;
  // Days from the year's start to `to` where a protection cap keeps a yearly account; else from the bill's first day.
  const firstDay = localDayStart(input.from, timeZone);
  const carried = input.protectionUsedBefore;
  const yearStart = carried !== undefined || input.termsOn(firstDay).protectionCapPerYear === null ? firstDay : localYearStart(input.from, timeZone);
  // Local day boundaries, computed once (time-zone arithmetic is the costly part), then each line found by search.
  const dayStarts = localDayStartsBetween(Math.min(yearStart, input.energy[0]?.intervalStart ?? yearStart), input.to, timeZone);
  const dayOf = (t: number) => {
    let lo = 0;
    let hi = dayStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (dayStarts[mid] <= t) lo = mid;
      else hi = mid - 1;
    }
    return dayStarts[lo];
  };
  const termsByDay = new Map(dayStarts.map((d) => [d, input.termsOn(d)]));
  // Prices repeat (a handful of levels, one feed-in price): each decimal string is parsed once.
  const decimals = new Map<string, Decimal>();
  const dec = (v: string) => {
    let d = decimals.get(v);
    if (!d) decimals.set(v, (d = new Decimal(v)));
    return d;
  };
  const priced = input.energy.map((e) => exactLine(e, input.priceAt(e.intervalStart), termsByDay.get(dayOf(e.intervalStart))!, dec));
  let usedBefore = new Decimal(carried ?? 0);
  let used = new Decimal(carried ?? 0);
  const days: { start: number; terms: BillingTerms; standing: Decimal; standingTax: Decimal; refund: Decimal; inBill: boolean }[] = [];
  const byDay = new Map<number, ExactLine[]>();
  for (const l of priced) {
    const day = dayOf(l.shown.intervalStart);
    const list = byDay.get(day);
    if (list) list.push(l);
    else byDay.set(day, [l]);
  }
  for (const [i, day] of dayStarts.entries()) {
    if (day < yearStart) continue;
    const terms = termsByDay.get(day)!;
    const standing = new Decimal(terms.standingChargePerDay);
    const standingTax = standing.times(terms.taxRate);
    const lines = byDay.get(day) ?? [];
    let refund = new Decimal(0);
    if (terms.protectionCapPerYear !== null && terms.referencePrice !== null) {
      const dynamic = lines.reduce((sum, l) => sum.plus(l.cost), new Decimal(0));
      const shadow = lines.reduce((sum, l) => sum.plus(l.shadow ?? 0), new Decimal(0));
      const excess = Decimal.max(0, dynamic.minus(shadow));
      refund = Decimal.min(excess, Decimal.max(0, new Decimal(terms.protectionCapPerYear).minus(used)));
    }
    const inBill = (dayStarts[i + 1] ?? Infinity) > input.from && day < input.to;
    if (!inBill) usedBefore = usedBefore.plus(refund);
    used = used.plus(refund);
    days.push({ start: day, terms, standing, standingTax, refund, inBill });
  }
  const billLines = priced.filter((l) => l.shown.intervalStart >= input.from && l.shown.intervalStart < input.to);
  const billDays = days.filter((d) => d.inBill);
  const totals = sumTotals(billLines, billDays);
  const groups = groupLines(billLines, billDays, input.groupBy, timeZone, dayOf);
  // An empty window (a household's day at its midnight) still has the terms of its day: a shadow bill of 0, the cap's account as carried.
  const termsInBill = billDays.length > 0 ? billDays.map((d) => d.terms) : [input.termsOn(firstDay)];
  const withShadow = termsInBill.every((t) => t.referencePrice !== null);
  const shadowTotal = withShadow ? billLines.reduce((sum, l) => sum.plus(l.shadow ?? 0), new Decimal(0)).plus(billDays.reduce((s, d) => s.plus(d.standing).plus(d.standingTax), new Decimal(0))) : null;
  const refund = billDays.reduce((sum, d) => sum.plus(d.refund), new Decimal(0));
  const cap = termsInBill.at(-1)!.protectionCapPerYear;
  const bill: Bill = {
    lines: billLines.map((l) => l.shown),
    groups,
    totals,
    shadow: shadowTotal === null ? null : { total: money(shadowTotal), difference: money(new Decimal(totals.total).minus(shadowTotal)) },
    protection:
      cap === null || !withShadow
        ? null
        : { capPerYear: money(cap), usedBefore: money(usedBefore), refund: money(refund), usedAfter: money(usedBefore.plus(refund)), remaining: money(Decimal.max(0, new Decimal(cap).minus(usedBefore).minus(refund))) },
    due: money(new Decimal(totals.total).minus(refund)),
  };
  return { bill, used };
}

function exactLine(e: MeterIntervalEnergy, p: BillingPrice, terms: BillingTerms, dec: (v: string) => Decimal): ExactLine {
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

function sumTotals(lines: ExactLine[], days: { standing: Decimal; standingTax: Decimal }[]): BillTotals {
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

type BillDay = { start: number; standing: Decimal; standingTax: Decimal; refund: Decimal; terms: BillingTerms };

function groupLines(lines: ExactLine[], days: BillDay[], groupBy: BillGroupBy, timeZone: string, dayOf: (ms: number) => number): BillGroup[] {
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
  const into = <T>(map: Map<string, T[]>, key: string, item: T) => {
    const list = map.get(key);
    if (list) list.push(item);
    else map.set(key, [item]);
  };
  const linesOf = new Map<string, ExactLine[]>();
  for (const l of lines) into(linesOf, keyOf(l.shown.intervalStart), l);
  // Daily charges and refunds belong to the day's group (hourly groups carry none).
  const daysOf = new Map<string, BillDay[]>();
  if (groupBy !== 'hour') for (const d of days) into(daysOf, keyOf(d.start), d);
  const keys = [...new Set([...linesOf.keys(), ...daysOf.keys()])].sort();
  return keys.map((period) => {
    const mine = linesOf.get(period) ?? [];
    const myDays = daysOf.get(period) ?? [];
    const totals = sumTotals(mine, myDays);
    const shadow = mine.every((l) => l.shadow !== null) ? mine.reduce((s, l) => s.plus(l.shadow!), new Decimal(0)).plus(myDays.reduce((s, d) => s.plus(d.standing).plus(d.standingTax), new Decimal(0))) : null;
    return { period, ...totals, shadowTotal: shadow === null ? null : money(shadow), protectionRefund: money(myDays.reduce((s, d) => s.plus(d.refund), new Decimal(0))) };
  });
}

/** The label of the hour, day, ISO week or month (local) that an instant falls in. */
export function periodKey(ms: number, groupBy: Exclude<BillGroupBy, 'interval'>, timeZone: string): string {
  const p = localParts(ms, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  switch (groupBy) {
    case 'hour':
      return `${p.year}-${two(p.month)}-${two(p.day)}T${two(p.hour)}`;
    case 'day':
      return `${p.year}-${two(p.month)}-${two(p.day)}`;
    case 'month':
      return `${p.year}-${two(p.month)}`;
    case 'week': {
      // ISO 8601 week: the week with the year's first Thursday is week 1; weeks start on Monday.
      const thursday = Date.UTC(p.year, p.month - 1, p.day) + (3 - ((p.weekday + 6) % 7)) * 86_400_000;
      const isoYear = new Date(thursday).getUTCFullYear();
      const jan4 = Date.UTC(isoYear, 0, 4);
      const week1Thursday = jan4 + (3 - ((new Date(jan4).getUTCDay() + 6) % 7)) * 86_400_000;
      return `${isoYear}-W${two(1 + Math.round((thursday - week1Thursday) / (7 * 86_400_000)))}`;
    }
  }
}

export function localYearStart(ms: number, timeZone: string): number {
  const { year } = localParts(ms, timeZone);
  // Midnight of 1 January, local: the day start of an instant well inside it.
  return localDayStart(Date.UTC(year, 0, 1, 12), timeZone);
}

const round3 = (wh: number) => Math.round(wh * 1000) / 1000;

/** What a household display shows of its own: today so far and the last interval, against the shadow bill, and the protection cap. */
export interface HouseholdSummary {
  today: { from: number; consumptionWh: number; generationWh: number; cost: Money; shadowCost: Money | null };
  lastInterval: { intervalStart: number; intervalEnd: number; consumptionWh: number; generationWh: number; price: Money | null; cost: Money; shadowCost: Money | null } | null;
  protection: { capPerYear: Money; used: Money; remaining: Money } | null;
}

/** A household's summary from its bill for today so far (`input.from` = local midnight, `input.to` = now's interval start). Pure. */
export function householdSummary(input: BillInput): HouseholdSummary {
  const bill = buildBill({ ...input, groupBy: 'interval' });
  // The interval that ended at `to` (it may belong to the day before, at midnight).
  const lastEnergy = input.energy.find((e) => e.intervalEnd === input.to);
  const ended = lastEnergy ? buildBill({ ...input, from: lastEnergy.intervalStart, to: lastEnergy.intervalEnd, groupBy: 'interval' }).lines[0] : null;
  return {
    today: { from: input.from, consumptionWh: bill.totals.consumptionWh, generationWh: bill.totals.generationWh, cost: bill.totals.total, shadowCost: bill.shadow?.total ?? null },
    lastInterval: ended
      ? { intervalStart: ended.intervalStart, intervalEnd: ended.intervalEnd, consumptionWh: ended.consumptionWh, generationWh: ended.generationWh, price: ended.price, cost: ended.cost, shadowCost: ended.shadowCost }
      : null,
    protection: bill.protection ? { capPerYear: bill.protection.capPerYear, used: bill.protection.usedAfter, remaining: bill.protection.remaining } : null,
  };
}
