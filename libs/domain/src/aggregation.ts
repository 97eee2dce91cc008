import { assignInterval } from './intervals';
import type { Reading } from './readings';

/** A reading the platform has attributed to a region (the broker knows each meter's region). */
export interface RegionReading extends Reading {
  regionId: string;
}

/** Demand and supply summed for one region and interval. */
export interface IntervalTotals {
  regionId: string;
  intervalStart: number;
  intervalEnd: number;
  demandWh: number;
  supplyWh: number;
  readings: number;
  meterIds: Set<string>;
  maxReadingTs: number;
}

/**
 * Groups readings by (region, interval) and sums their energy. Consumption is demand;
 * generation (rooftop solar) is local supply.
 */
export function sumByInterval(readings: Iterable<RegionReading>, intervalSeconds: number): IntervalTotals[] {
  const totals = new Map<string, IntervalTotals>();
  for (const reading of readings) {
    const interval = assignInterval(reading.ts, intervalSeconds);
    const key = `${reading.regionId}\u0000${interval.start}`;
    let entry = totals.get(key);
    if (!entry) {
      entry = {
        regionId: reading.regionId,
        intervalStart: interval.start,
        intervalEnd: interval.end,
        demandWh: 0,
        supplyWh: 0,
        readings: 0,
        meterIds: new Set(),
        maxReadingTs: reading.ts,
      };
      totals.set(key, entry);
    }
    entry.demandWh += reading.consumptionWh;
    entry.supplyWh += reading.generationWh;
    entry.readings += 1;
    entry.meterIds.add(reading.meterId);
    entry.maxReadingTs = Math.max(entry.maxReadingTs, reading.ts);
  }
  return [...totals.values()];
}

/**
 * The identity of a reading for de-duplication: (meter, seq) when the meter numbers its
 * readings, otherwise (meter, reading time). QoS 1/2 redelivery repeats the same identity.
 */
export function readingIdentity(reading: Pick<Reading, 'meterId' | 'ts' | 'seq'>): string {
  return reading.seq === null ? `${reading.meterId}@t${reading.ts}` : `${reading.meterId}#${reading.seq}`;
}
