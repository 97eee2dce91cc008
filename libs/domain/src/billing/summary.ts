import type { Money } from '../pricing';
import { buildBill, type BillInput } from './bill';

/** What a household display shows of its own: today so far and the last interval, against the shadow bill, and the protection cap. */
export interface HouseholdSummary {
  today: { from: number; consumptionWh: number; generationWh: number; cost: Money; shadowCost: Money | null };
  lastInterval: {
    intervalStart: number;
    intervalEnd: number;
    consumptionWh: number;
    generationWh: number;
    price: Money | null;
    cost: Money;
    shadowCost: Money | null;
  } | null;
  protection: { capPerYear: Money; used: Money; remaining: Money } | null;
}

/** A household's summary from its bill for today so far (`input.from` = local midnight, `input.to` = now's interval start). Pure. */
export function householdSummary(input: BillInput): HouseholdSummary {
  const bill = buildBill({ ...input, groupBy: 'interval' });
  // The interval that ended at `to` (it may belong to the day before, at midnight).
  const lastEnergy = input.energy.find((e) => e.intervalEnd === input.to);
  const ended = lastEnergy
    ? buildBill({ ...input, from: lastEnergy.intervalStart, to: lastEnergy.intervalEnd, groupBy: 'interval' }).lines[0]
    : null;
  return {
    today: {
      from: input.from,
      consumptionWh: bill.totals.consumptionWh,
      generationWh: bill.totals.generationWh,
      cost: bill.totals.total,
      shadowCost: bill.shadow?.total ?? null,
    },
    lastInterval: ended
      ? {
          intervalStart: ended.intervalStart,
          intervalEnd: ended.intervalEnd,
          consumptionWh: ended.consumptionWh,
          generationWh: ended.generationWh,
          price: ended.price,
          cost: ended.cost,
          shadowCost: ended.shadowCost,
        }
      : null,
    protection: bill.protection
      ? { capPerYear: bill.protection.capPerYear, used: bill.protection.usedAfter, remaining: bill.protection.remaining }
      : null,
  };
}
