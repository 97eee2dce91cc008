import Decimal from 'decimal.js';
import { dayFinder, localDayStart, localDayStartsBetween, localYearStart, nextLocalDayStart } from '../local-time';
import { money, type Money } from '../pricing';
import type { BillGroupBy } from '../vocabulary';
import {
  decimalCache,
  exactLine,
  groupInto,
  groupLines,
  sumTotals,
  type BillGroup,
  type BillLine,
  type BillTotals,
  type MeterIntervalEnergy,
} from './lines';
import { accountDays } from './protection';
import type { BillingRates } from './terms';

export interface Bill {
  lines: BillLine[];
  groups: BillGroup[];
  totals: BillTotals;
  shadow: { total: Money; difference: Money } | null;
  protection: { capPerYear: Money; usedBefore: Money; refund: Money; usedAfter: Money; remaining: Money } | null;
  /** What the household owes: total − protection refund. */
  due: Money;
}

export interface BillInput extends BillingRates {
  timeZone: string;
  from: number;
  to: number;
  /**
   * Energy per interval from the start of the local year of `from` (for the protection cap) to
   * `to` — or only from `from`'s local day when `protectionUsedBefore` is given — and on to the
   * end of `to`'s local day when there is any: a day the window covers in part gets its share of
   * the refund decided on the whole day.
   */
  energy: MeterIntervalEnergy[];
  groupBy: BillGroupBy;
  /**
   * The protection already refunded this calendar year before `from`'s local day (a bill over
   * [year start, that day) gives it as `protection.usedAfter`): the cap's account carried in, so
   * the year before need not be read again.
   */
  protectionUsedBefore?: Money;
}

/**
 * A household's bill, pure: each interval's consumption at its price (before tax, tax apart),
 * minus its exported generation at the feed-in price; a daily standing charge; the shadow bill
 * under the region's flat reference tariff beside it; and household protection (protection.ts).
 * Meters are gross-metered: all consumption is imported, all generation exported.
 */
/** How far a bill to `to` reads energy and prices: to the end of `to`'s local day (see `BillInput.energy`). */
export function billReadEnd(to: number, timeZone: string): number {
  return nextLocalDayStart(localDayStart(to - 1, timeZone), timeZone);
}

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
  const yearStart =
    carried !== undefined || input.termsOn(firstDay).protectionCapPerYear === null ? firstDay : localYearStart(input.from, timeZone);
  // Local day boundaries, computed once (time-zone arithmetic is the costly part), then each line found by search.
  const dayStarts = localDayStartsBetween(Math.min(yearStart, input.energy[0]?.intervalStart ?? yearStart), input.to, timeZone);
  const dayOf = dayFinder(dayStarts);
  const termsByDay = new Map(dayStarts.map((d) => [d, input.termsOn(d)]));
  const dec = decimalCache();
  // The energy of the window's last day after `to` decides that day's refund (billed pro rata); nothing after that day counts.
  const lastDayEnd = dayStarts.length === 0 ? input.to : nextLocalDayStart(dayStarts[dayStarts.length - 1], timeZone);
  const priced = input.energy
    .filter((e) => e.intervalStart < lastDayEnd)
    .map((e) => exactLine(e, input.priceAt(e.intervalStart), termsByDay.get(dayOf(e.intervalStart))!, dec));
  const account = accountDays(
    dayStarts,
    groupInto(priced, (l) => dayOf(l.shown.intervalStart)),
    (d) => termsByDay.get(d)!,
    { from: input.from, to: input.to, firstDay: yearStart },
    new Decimal(carried ?? 0),
    (_start, next) => next ?? lastDayEnd,
  );
  const billLines = priced.filter((l) => l.shown.intervalStart >= input.from && l.shown.intervalStart < input.to);
  const billDays = account.days.filter((d) => d.inBill);
  const totals = sumTotals(billLines, billDays);
  const groups = groupLines(billLines, billDays, input.groupBy, timeZone, dayOf);
  // An empty window (a household's day at its midnight) still has the terms of its day: a shadow bill of 0, the cap's account as carried.
  const termsInBill = billDays.length > 0 ? billDays.map((d) => d.terms) : [input.termsOn(firstDay)];
  const withShadow = termsInBill.every((t) => t.referencePrice !== null);
  const shadowTotal = withShadow
    ? billLines
        .reduce((sum, l) => sum.plus(l.shadow ?? 0), new Decimal(0))
        .plus(billDays.reduce((s, d) => s.plus(d.standing).plus(d.standingTax), new Decimal(0)))
    : null;
  const refund = billDays.reduce((sum, d) => sum.plus(d.refund), new Decimal(0));
  const cap = termsInBill.at(-1)!.protectionCapPerYear;
  const usedBefore = account.before;
  const bill: Bill = {
    lines: billLines.map((l) => l.shown),
    groups,
    totals,
    shadow: shadowTotal === null ? null : { total: money(shadowTotal), difference: money(new Decimal(totals.total).minus(shadowTotal)) },
    protection:
      cap === null || !withShadow
        ? null
        : {
            capPerYear: money(cap),
            usedBefore: money(usedBefore),
            refund: money(refund),
            usedAfter: money(usedBefore.plus(refund)),
            remaining: money(Decimal.max(0, new Decimal(cap).minus(usedBefore).minus(refund))),
          },
    due: money(new Decimal(totals.total).minus(refund)),
  };
  return { bill, used: account.used };
}
