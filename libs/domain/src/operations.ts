import { cutoffBefore } from './local-time';
import { DEFAULT_CUTOFF } from './pricing';
import { versionInForce, type PricingVersion } from './prices';
import type { PricingMode } from './vocabulary';

/** A device that has reported is silent after this many intervals of its region's time without a reading. */
export const SILENT_AFTER_INTERVALS = 4;

/** Day-ahead schedules need whole-minute intervals; shorter ones (tests, demos) price intraday. */
const DAY_AHEAD_MIN_INTERVAL_MS = 60_000;

/** How the version in force at `at` prices ahead (short intervals always intraday). */
export function pricingModeAt(versions: PricingVersion[], at: number, intervalMs: number): PricingMode {
  if (intervalMs < DAY_AHEAD_MIN_INTERVAL_MS) return 'intraday';
  return versionInForce(versions, at).pricing.mode ?? 'day-ahead';
}

/** What the operators' view of one tariff is read from: its pricing state, its versions, the region's time. */
export interface PricingHealthInput {
  state: { currentStart: number | null; currentBasis: string | null; nextDayStart: number | null };
  versions: PricingVersion[];
  /** The region's event time. */
  now: number;
  timezone: string;
}

export interface PricingHealth {
  /** Until the price in force reaches its validTo (negative: past it, nothing newer); null before any. */
  expiresInSeconds: number | null;
  /** Whether the price in force is the fallback; null before any. */
  fallback: boolean | null;
  /** How far past the cut-off the next day is still not wholly priced (0: not late). */
  scheduleLateSeconds: number;
}

/** What an operator is alerted on, for one tariff (the gauges of deploy/prometheus and GET /v1/regions/{id}/alerts). */
export function pricingHealth(tariff: PricingHealthInput, intervalMs: number): PricingHealth {
  const { state, versions, now } = tariff;
  const expiresInSeconds = state.currentStart === null ? null : (state.currentStart + intervalMs - now) / 1000;
  const fallback = state.currentBasis === null ? null : state.currentBasis === 'fallback';
  let scheduleLateSeconds = 0;
  const day = state.nextDayStart;
  if (day !== null && versions.length > 0 && pricingModeAt(versions, day, intervalMs) === 'day-ahead') {
    const cutoff = cutoffBefore(day, versionInForce(versions, day).pricing.cutoff ?? DEFAULT_CUTOFF, tariff.timezone);
    scheduleLateSeconds = Math.max(0, (now - cutoff) / 1000);
  }
  return { expiresInSeconds, fallback, scheduleLateSeconds };
}
