import Decimal from 'decimal.js';
import type { BillDay, ExactLine } from './lines';
import type { BillingTerms } from './terms';

/** A bill's day with whether it lies in the bill's window (days before it only run the cap's account). */
export interface AccountedDay extends BillDay {
  inBill: boolean;
}

/**
 * Household protection over consecutive local days: each day's excess of the dynamic cost over
 * the shadow bill is refunded while the calendar year's cap lasts (the Kitakyushu pilot's fund),
 * so the cap is spent the same whatever a bill's boundaries. `usedBefore` is what the year had
 * refunded before the first day; the answer says what was refunded before the window (`before`)
 * and in all (`used`), exact.
 */
export function accountDays(
  dayStarts: readonly number[],
  linesByDay: Map<number, ExactLine[]>,
  termsOn: (dayStart: number) => BillingTerms,
  window: { from: number; to: number; firstDay: number },
  usedBefore: Decimal,
): { days: AccountedDay[]; before: Decimal; used: Decimal } {
  let before = usedBefore;
  let used = usedBefore;
  const days: AccountedDay[] = [];
  for (const [i, start] of dayStarts.entries()) {
    if (start < window.firstDay) continue;
    const terms = termsOn(start);
    const standing = new Decimal(terms.standingChargePerDay);
    const standingTax = standing.times(terms.taxRate);
    const lines = linesByDay.get(start) ?? [];
    let refund = new Decimal(0);
    if (terms.protectionCapPerYear !== null && terms.referencePrice !== null) {
      const dynamic = lines.reduce((sum, l) => sum.plus(l.cost), new Decimal(0));
      const shadow = lines.reduce((sum, l) => sum.plus(l.shadow ?? 0), new Decimal(0));
      const excess = Decimal.max(0, dynamic.minus(shadow));
      refund = Decimal.min(excess, Decimal.max(0, new Decimal(terms.protectionCapPerYear).minus(used)));
    }
    const inBill = (dayStarts[i + 1] ?? Infinity) > window.from && start < window.to;
    if (!inBill) before = before.plus(refund);
    used = used.plus(refund);
    days.push({ start, terms, standing, standingTax, refund, inBill });
  }
  return { days, before, used };
}
