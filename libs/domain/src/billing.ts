import Decimal from 'decimal.js';

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
  /** Unit price in force for the interval, or null when the interval is not priced yet. */
  price: string | null;
  cost: string | null;
}

export interface Bill {
  lines: BillLine[];
  consumptionWh: number;
  generationWh: number;
  cost: string;
  unpricedWh: number;
}

/** Cost of one interval's consumption at its unit price (per kWh), to 4 decimal places. */
export function billInterval(consumptionWh: number, pricePerKwh: string): string {
  return new Decimal(pricePerKwh).times(consumptionWh).dividedBy(1000).toFixed(4);
}

/** A bill from per-interval energy and the prices published for those intervals. */
export function buildBill(
  intervals: MeterIntervalEnergy[],
  priceByIntervalStart: Map<number, string>,
): Bill {
  let total = new Decimal(0);
  let consumptionWh = 0;
  let generationWh = 0;
  let unpricedWh = 0;
  const lines = intervals.map((interval) => {
    const price = priceByIntervalStart.get(interval.intervalStart) ?? null;
    const cost = price === null ? null : billInterval(interval.consumptionWh, price);
    if (cost === null) unpricedWh += interval.consumptionWh;
    else total = total.plus(cost);
    consumptionWh += interval.consumptionWh;
    generationWh += interval.generationWh;
    return { ...interval, price, cost };
  });
  return { lines, consumptionWh, generationWh, cost: total.toFixed(4), unpricedWh };
}
