import { versionInForce, type PricingMode, type PricingVersion } from '@wattline/domain';

/** Day-ahead schedules need whole-minute intervals; shorter ones (tests, demos) price intraday. */
const DAY_AHEAD_MIN_INTERVAL_MS = 60_000;

/** How the version in force at `at` prices ahead (short intervals always intraday). */
export function pricingModeAt(versions: PricingVersion[], at: number, intervalMs: number): PricingMode {
  if (intervalMs < DAY_AHEAD_MIN_INTERVAL_MS) return 'intraday';
  return versionInForce(versions, at).pricing.mode ?? 'day-ahead';
}
