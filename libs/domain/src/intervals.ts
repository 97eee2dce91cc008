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
