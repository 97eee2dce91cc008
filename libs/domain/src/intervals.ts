import Decimal from 'decimal.js';

/** A pricing interval [start, end) in epoch milliseconds. */
export interface Interval {
  start: number;
  end: number;
}

/**
 * The interval a reading belongs to. A reading's `ts` is the END of its measured period,
 * so a half-hour reading stamped 00:30 belongs to [00:00, 00:30): we step back one
 * millisecond before flooring.
 */
export function assignInterval(readingTs: number, intervalSeconds: number): Interval {
  const length = intervalSeconds * 1000;
  const start = Math.floor((readingTs - 1) / length) * length;
  return { start, end: start + length };
}

/**
 * An interval may close once event time (the region's watermark: the latest reading time
 * seen) has passed its end by the allowed lateness.
 */
export function isClosableByWatermark(intervalEnd: number, watermark: number, allowedLatenessMs: number): boolean {
  return watermark >= intervalEnd + allowedLatenessMs;
}

/**
 * When a region goes quiet its watermark stops moving; the idle rule closes an interval
 * once wall-clock time has passed its end plus lateness and nothing arrived for `idleMs`.
 * A fast historical replay never trips it while readings keep flowing.
 */
export function isClosableWhenIdle(
  intervalEnd: number,
  allowedLatenessMs: number,
  lastArrivalMs: number,
  nowMs: number,
  idleMs: number,
): boolean {
  return nowMs - lastArrivalMs >= idleMs && nowMs >= intervalEnd + allowedLatenessMs;
}

/** A reading's energy in one interval it covers: decimal Wh to the thousandth (the store's precision). */
export interface IntervalShare {
  intervalStart: number;
  consumptionWh: string;
  generationWh: string;
}

/** Wh as the store keeps them: numeric(14,3), rounded half away from zero as PostgreSQL does. */
export function storedWh(wh: number): string {
  const text = String(wh);
  // The common case (at most three places, no exponent) is already what the store keeps: no decimal arithmetic on the hot path.
  if (/^\d+(\.\d{1,3})?$/.test(text)) return text;
  return new Decimal(text).toDecimalPlaces(3, Decimal.ROUND_HALF_UP).toFixed(3);
}

/**
 * A reading's energy spread over the intervals its period covers, by time: a reading covers
 * `[ts − periodS, ts)`, so a 60-minute reading ending 01:00 puts half in [00:00, 00:30) and half
 * in [00:30, 01:00), and one of 10 minutes ending 00:35 puts half on each side of 00:30.
 * Energy is assumed even across the period (all a meter tells). Each share is the rounded
 * cumulative amount up to its interval's end minus the one before, so the shares add up to the
 * reading exactly, to the thousandth of a Wh.
 */
export function apportionReading(
  reading: { ts: number; periodS: number; consumptionWh: number; generationWh: number },
  intervalSeconds: number,
): IntervalShare[] {
  const length = intervalSeconds * 1000;
  const periodMs = reading.periodS * 1000;
  const from = reading.ts - periodMs;
  const consumption = new Decimal(storedWh(reading.consumptionWh));
  const generation = new Decimal(storedWh(reading.generationWh));
  const upTo = (total: Decimal, coveredMs: number) => total.times(coveredMs).dividedBy(periodMs).toDecimalPlaces(3, Decimal.ROUND_HALF_UP);
  const shares: IntervalShare[] = [];
  let before = { consumption: new Decimal(0), generation: new Decimal(0) };
  for (let start = Math.floor(from / length) * length; start < reading.ts; start += length) {
    const covered = Math.min(start + length, reading.ts) - from;
    const now = { consumption: upTo(consumption, covered), generation: upTo(generation, covered) };
    shares.push({
      intervalStart: start,
      consumptionWh: now.consumption.minus(before.consumption).toFixed(3),
      generationWh: now.generation.minus(before.generation).toFixed(3),
    });
    before = now;
  }
  return shares;
}
