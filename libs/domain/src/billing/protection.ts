import Decimal from 'decimal.js';
import type { BillDay, ExactLine } from './lines';
import type { BillingTerms } from './terms';

/**
 * A bill's day with the share of it inside the bill's window (days before it only run the cap's
 * account): its standing charge, tax and refund are that share of the whole day's.
 */
export interface AccountedDay extends BillDay {
  inBill: boolean;
  /** The share of the day's time inside the window, 0 to 1. */
  share: Decimal;
}

/**
 * Household protection over consecutive local days: each day's excess of the dynamic cost over
 * the shadow bill is refunded while the calendar year's cap lasts (the Kitakyushu pilot's fund),
 * so the cap is spent the same whatever a bill's boundaries. `usedBefore` is what the year had
 * refunded before the first day; the answer says what was refunded before the window (`before`)
 * and up to its end (`used`), exact.
 *
 * A day the window covers in part is billed pro rata, by the share of the day's time inside the
 * window, as suppliers bill a move-in or move-out day: that share of its standing charge and of
 * its refund (the refund itself decided on the whole day's lines, which the caller gives to the
 * day's end). So a window split at any instant gives two bills that add up to the whole.
 */
export function accountDays(
  dayStarts: readonly number[],
  linesByDay: Map<number, ExactLine[]>,
  termsOn: (dayStart: number) => BillingTerms,
  window: { from: number; to: number; firstDay: number },
  usedBefore: Decimal,
  dayEnd: (dayStart: number, next: number | undefined) => number,
): { days: AccountedDay[]; before: Decimal; used: Decimal } {
  let before = usedBefore;
  let spent = usedBefore; // whole days: what the cap has left for the next day
  let inWindow = new Decimal(0);
  const days: AccountedDay[] = [];
  for (const [i, start] of dayStarts.entries()) {
    if (start < window.firstDay) continue;
    const terms = termsOn(start);
    const lines = linesByDay.get(start) ?? [];
    let dayRefund = new Decimal(0);
    if (terms.protectionCapPerYear !== null && terms.referencePrice !== null) {
      const dynamic = lines.reduce((sum, l) => sum.plus(l.cost), new Decimal(0));
      const shadow = lines.reduce((sum, l) => sum.plus(l.shadow ?? 0), new Decimal(0));
      const excess = Decimal.max(0, dynamic.minus(shadow));
      dayRefund = Decimal.min(excess, Decimal.max(0, new Decimal(terms.protectionCapPerYear).minus(spent)));
    }
    spent = spent.plus(dayRefund);
    const end = dayEnd(start, dayStarts[i + 1]);
    const length = new Decimal(end - start);
    const share = new Decimal(Math.max(0, Math.min(end, window.to) - Math.max(start, window.from))).dividedBy(length);
    const shareBefore = new Decimal(Math.max(0, Math.min(end, window.from) - start)).dividedBy(length);
    const standing = new Decimal(terms.standingChargePerDay).times(share);
    const refund = dayRefund.times(share);
    before = before.plus(dayRefund.times(shareBefore));
    inWindow = inWindow.plus(refund);
    days.push({ start, terms, standing, standingTax: standing.times(terms.taxRate), refund, inBill: share.gt(0), share });
  }
  return { days, before, used: before.plus(inWindow) };
}
