import { dayType, localSecondOfDay } from './local-time';

/** What was measured in one closed interval of a region. */
export interface IntervalActual {
  intervalStart: number;
  demandWh: number;
  supplyWh: number;
}

export type ForecastMethod = 'same-slot-same-day-type' | 'same-slot-any-day' | 'mean-of-history';

export interface IntervalForecast {
  intervalStart: number;
  demandWh: number;
  supplyWh: number;
  /** How the demand was forecast (the most specific profile the history allowed). */
  method: ForecastMethod;
  /** How many past intervals the demand forecast averages. */
  samples: number;
}

export interface ForecastOptions {
  timeZone: string;
  /** When the forecast is made: only history before it counts. */
  asOf: number;
  /** Demand profile: same slot and day type over this many trailing weeks. */
  demandWeeks?: number;
  /** Generation profile: same slot over this many trailing days (solar follows the season and the weather). */
  supplyDays?: number;
  /** No forecast when the newest history is older than this before `asOf` (a stalled pipeline). */
  maxStalenessMs?: number;
}

export type ForecastResult =
  { ok: true; intervals: IntervalForecast[] } | { ok: false; reason: 'no_history' | 'stale_history'; detail: string };

const DAY_MS = 86_400_000;

/**
 * Forecasts demand and local generation for `targets` (interval starts) from stored history
 * only. Demand: the mean of the same local time slot on days of the same type (weekday or
 * weekend) over the trailing `demandWeeks` weeks; where there is none yet, the same slot on
 * any day; where there is none, the mean of all history. Generation: the mean of the same slot
 * over the trailing `supplyDays` days (0 where the slot has never produced). Pure.
 */
export function forecastIntervals(history: IntervalActual[], targets: number[], options: ForecastOptions): ForecastResult {
  const weeks = options.demandWeeks ?? 4;
  const supplyDays = options.supplyDays ?? 3;
  const stale = options.maxStalenessMs ?? DAY_MS;
  const usable = history.filter((h) => h.intervalStart < options.asOf && h.intervalStart >= options.asOf - weeks * 7 * DAY_MS);
  if (usable.length === 0)
    return { ok: false, reason: 'no_history', detail: `no measured interval in the ${weeks} weeks before the forecast` };
  const newest = Math.max(...usable.map((h) => h.intervalStart));
  if (options.asOf - newest > stale) {
    return {
      ok: false,
      reason: 'stale_history',
      detail: `the newest measured interval (${new Date(newest).toISOString()}) is more than ${stale / 3_600_000} h before the forecast`,
    };
  }
  const tz = options.timeZone;
  const bySlot = new Map<number, IntervalActual[]>();
  for (const h of usable) {
    const slot = localSecondOfDay(h.intervalStart, tz);
    const list = bySlot.get(slot);
    if (list) list.push(h);
    else bySlot.set(slot, [h]);
  }
  const meanAll = mean(usable.map((h) => h.demandWh));
  const supplySince = options.asOf - supplyDays * DAY_MS;
  return {
    ok: true,
    intervals: targets.map((start) => {
      const sameSlot = bySlot.get(localSecondOfDay(start, tz)) ?? [];
      const type = dayType(start, tz);
      const sameType = sameSlot.filter((h) => dayType(h.intervalStart, tz) === type);
      const [method, sample]: [ForecastMethod, IntervalActual[]] =
        sameType.length > 0
          ? ['same-slot-same-day-type', sameType]
          : sameSlot.length > 0
            ? ['same-slot-any-day', sameSlot]
            : ['mean-of-history', usable];
      const recentSupply = sameSlot.filter((h) => h.intervalStart >= supplySince);
      return {
        intervalStart: start,
        demandWh: round(method === 'mean-of-history' ? meanAll : mean(sample.map((h) => h.demandWh))),
        supplyWh: round(mean((recentSupply.length > 0 ? recentSupply : sameSlot).map((h) => h.supplyWh))),
        method,
        samples: sample.length,
      };
    }),
  };
}

/**
 * Intraday: the forecast of the next interval, corrected by how the last measured interval
 * compared with its own forecast — the profile's demand scaled by measured ÷ forecast — or,
 * without a profile, that measured interval as it is (a persistence forecast). Pure.
 */
export function correctIntraday(
  target: number,
  profile: IntervalForecast | null,
  measured: Pick<IntervalActual, 'demandWh' | 'supplyWh'>,
  measuredForecast: Pick<IntervalActual, 'demandWh'> | null,
): IntervalForecast {
  if (!profile)
    return { intervalStart: target, demandWh: measured.demandWh, supplyWh: measured.supplyWh, method: 'same-slot-any-day', samples: 1 };
  if (!measuredForecast || measuredForecast.demandWh <= 0) return profile;
  const factor = measured.demandWh / measuredForecast.demandWh;
  return { ...profile, demandWh: Math.round(profile.demandWh * factor * 1000) / 1000 };
}

/** The seasonal-naive baseline: each target takes the value measured one season (`lagMs`) before. */
export function seasonalNaive(history: IntervalActual[], targets: number[], lagMs: number): Map<number, IntervalActual> {
  const byStart = new Map(history.map((h) => [h.intervalStart, h]));
  const out = new Map<number, IntervalActual>();
  for (const t of targets) {
    const past = byStart.get(t - lagMs);
    if (past) out.set(t, { intervalStart: t, demandWh: past.demandWh, supplyWh: past.supplyWh });
  }
  return out;
}

/** Mean absolute percentage error, in percent, over the pairs whose actual is not zero (null when none is). */
export function mape(pairs: { forecast: number; actual: number }[]): number | null {
  const counted = pairs.filter((p) => p.actual !== 0);
  if (counted.length === 0) return null;
  return (100 * counted.reduce((sum, p) => sum + Math.abs((p.actual - p.forecast) / p.actual), 0)) / counted.length;
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

const round = (wh: number) => Math.round(wh * 1000) / 1000;

/** Weighted absolute percentage error: total absolute error over total actual, in percent (null when nothing was measured). */
export function wape(pairs: { forecast: number; actual: number }[]): number | null {
  const actual = pairs.reduce((sum, p) => sum + Math.abs(p.actual), 0);
  if (actual === 0) return null;
  return (100 * pairs.reduce((sum, p) => sum + Math.abs(p.actual - p.forecast), 0)) / actual;
}

export interface DayAheadEvaluation {
  dayStart: number;
  intervals: number;
  forecast: { mape: number | null; wape: number | null };
  seasonalNaive: { mape: number | null; wape: number | null };
}

/**
 * Scores the day-ahead forecast as the platform makes it — for each day, from the history
 * before its cut-off only — against the seasonal-naive baseline (the same interval one week
 * earlier), on a measured series. `quantity` picks demand or generation. Pure.
 */
export function evaluateDayAhead(
  series: IntervalActual[],
  days: { dayStart: number; cutoff: number; intervalStarts: number[] }[],
  options: { timeZone: string; quantity: 'demandWh' | 'supplyWh'; demandWeeks?: number; supplyDays?: number },
): DayAheadEvaluation[] {
  const byStart = new Map(series.map((s) => [s.intervalStart, s]));
  return days.flatMap(({ dayStart, cutoff, intervalStarts }) => {
    const measured = intervalStarts.filter((t) => byStart.has(t));
    const history = series.filter((s) => s.intervalStart < cutoff);
    const made = forecastIntervals(history, measured, {
      timeZone: options.timeZone,
      asOf: cutoff,
      demandWeeks: options.demandWeeks,
      supplyDays: options.supplyDays,
    });
    const naive = seasonalNaive(history, measured, 7 * DAY_MS);
    if (!made.ok || naive.size < measured.length) return [];
    const pairsOf = (value: (t: number) => number) =>
      measured.map((t) => ({ forecast: value(t), actual: byStart.get(t)![options.quantity] }));
    const forecastByStart = new Map(made.intervals.map((f) => [f.intervalStart, f]));
    const f = pairsOf((t) => forecastByStart.get(t)![options.quantity]);
    const n = pairsOf((t) => naive.get(t)![options.quantity]);
    return [
      { dayStart, intervals: measured.length, forecast: { mape: mape(f), wape: wape(f) }, seasonalNaive: { mape: mape(n), wape: wape(n) } },
    ];
  });
}
