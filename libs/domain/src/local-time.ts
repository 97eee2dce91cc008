import type { BillGroupBy, DayType } from './vocabulary';
/**
 * Wall-clock arithmetic in a region's own time zone (IANA names, through the runtime's ICU
 * data): local midnights, a day's cut-off, the local time of day and the day type of an
 * instant. Pure: the same instant and zone give the same answer. Days may be 23 or 25 hours
 * long where the zone changes its offset; nothing here assumes 24.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export interface LocalParts {
  year: number;
  /** 1..12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export function localParts(ms: number, timeZone: string): LocalParts {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAYS.indexOf(parts.weekday),
  };
}

/** The zone's offset from UTC at an instant, in ms (positive east of Greenwich). */
function offsetAt(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}

/** The instant a local wall-clock time names (the later offset when a gap or an overlap makes it ambiguous). */
export function fromLocal(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number {
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  const first = guess - offsetAt(guess, timeZone);
  return guess - offsetAt(first, timeZone);
}

/** A local wall-clock time read strictly: the one instant it names, or why it names none or two. */
export type LocalInstant = { ok: true; ms: number } | { ok: false; reason: 'nonexistent' | 'ambiguous'; detail: string };

/**
 * The instant a local wall-clock time names, refusing what a zone's change of offset makes
 * unclear: a time in the gap when clocks go forward does not exist (01:30 on 28 March 2027 in
 * London), one in the hour repeated when they go back is ambiguous (01:30 on 25 October 2026).
 * Uploads use it: a price must say which half hour it is for.
 */
export function fromLocalStrict(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): LocalInstant {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const label = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')} ${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')} in ${timeZone}`;
  // The offsets in force on either side of the wall time: a change of offset lies between them, if any.
  const candidates = [...new Set([offsetAt(wall - 86_400_000, timeZone), offsetAt(wall + 86_400_000, timeZone), offsetAt(wall, timeZone)])]
    .map((offset) => wall - offset)
    .filter((ms) => {
      const p = localParts(ms, timeZone);
      return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) === wall;
    });
  const instants = [...new Set(candidates)];
  if (instants.length === 1) return { ok: true, ms: instants[0] };
  if (instants.length === 0) return { ok: false, reason: 'nonexistent', detail: `${label} does not exist (the clocks go forward over it)` };
  return { ok: false, reason: 'ambiguous', detail: `${label} happens twice (the clocks go back over it): give the time with its offset` };
}

/** Local midnight starting the local day that contains `ms`. */
export function localDayStart(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  return fromLocal(p.year, p.month, p.day, 0, 0, timeZone);
}

/** Local midnight starting the day after the one that starts at `dayStart`. */
export function nextLocalDayStart(dayStart: number, timeZone: string): number {
  const p = localParts(dayStart + 36 * 3_600_000, timeZone); // well inside the next day, whatever its length
  return fromLocal(p.year, p.month, p.day, 0, 0, timeZone);
}

/** The last few lists of day starts asked for: bills of one region over one window share theirs. */
const dayStartLists = new Map<string, readonly number[]>();

/**
 * Local midnights from the day containing `from` up to (not including) `to`. The answer for a
 * zone and a window never changes, so the last 32 are kept (a region's bills ask for the same
 * year of days once per household); the list returned is frozen.
 */
export function localDayStartsBetween(from: number, to: number, timeZone: string): readonly number[] {
  const key = `${timeZone}|${from}|${to}`;
  let days = dayStartLists.get(key);
  if (!days) {
    const list: number[] = [];
    for (let day = localDayStart(from, timeZone); day < to; day = nextLocalDayStart(day, timeZone)) list.push(day);
    days = Object.freeze(list);
    if (dayStartLists.size >= 32) dayStartLists.delete(dayStartLists.keys().next().value!);
    dayStartLists.set(key, days);
  }
  return days;
}

/** `HH:MM` on the local day before the one starting at `dayStart`: a day-ahead cut-off. */
export function cutoffBefore(dayStart: number, cutoff: string, timeZone: string): number {
  const [hour, minute] = cutoff.split(':').map(Number);
  const p = localParts(dayStart - 12 * 3_600_000, timeZone);
  return fromLocal(p.year, p.month, p.day, hour, minute, timeZone);
}

/** Seconds since local midnight by the wall clock (so 17:30 is the same slot in winter and summer). */
export function localSecondOfDay(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  return p.hour * 3600 + p.minute * 60 + p.second;
}

/** Whether the local day an instant falls in is a weekday or a weekend day. */
export function dayType(ms: number, timeZone: string): DayType {
  const weekday = localParts(ms, timeZone).weekday;
  return weekday === 0 || weekday === 6 ? 'weekend' : 'weekday';
}

/** Interval starts (aligned to the interval grid) inside [from, to). */
export function intervalStartsBetween(from: number, to: number, intervalMs: number): number[] {
  const starts: number[] = [];
  for (let t = Math.ceil(from / intervalMs) * intervalMs; t < to; t += intervalMs) starts.push(t);
  return starts;
}

/** The interval (aligned to the grid) that contains the instant `ms`. */
export function intervalContaining(ms: number, intervalMs: number): { start: number; end: number } {
  const start = Math.floor(ms / intervalMs) * intervalMs;
  return { start, end: start + intervalMs };
}

/** Local midnight starting 1 January of the local year `ms` falls in. */
export function localYearStart(ms: number, timeZone: string): number {
  const { year } = localParts(ms, timeZone);
  // The day start of an instant well inside 1 January.
  return localDayStart(Date.UTC(year, 0, 1, 12), timeZone);
}

/** Local midnight starting 1 January of the next local year. */
export function nextLocalYearStart(ms: number, timeZone: string): number {
  const { year } = localParts(ms, timeZone);
  return localDayStart(Date.UTC(year + 1, 0, 1, 12), timeZone);
}

/** The label of the hour, day, ISO week or month (local) that an instant falls in. */
export function periodKey(ms: number, groupBy: Exclude<BillGroupBy, 'interval'>, timeZone: string): string {
  const p = localParts(ms, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  switch (groupBy) {
    case 'hour':
      return `${p.year}-${two(p.month)}-${two(p.day)}T${two(p.hour)}`;
    case 'day':
      return `${p.year}-${two(p.month)}-${two(p.day)}`;
    case 'month':
      return `${p.year}-${two(p.month)}`;
    case 'week': {
      // ISO 8601 week: the week with the year's first Thursday is week 1; weeks start on Monday.
      const thursday = Date.UTC(p.year, p.month - 1, p.day) + (3 - ((p.weekday + 6) % 7)) * 86_400_000;
      const isoYear = new Date(thursday).getUTCFullYear();
      const jan4 = Date.UTC(isoYear, 0, 4);
      const week1Thursday = jan4 + (3 - ((new Date(jan4).getUTCDay() + 6) % 7)) * 86_400_000;
      return `${isoYear}-W${two(1 + Math.round((thursday - week1Thursday) / (7 * 86_400_000)))}`;
    }
  }
}

/** A search over sorted local day starts: the start of the day an instant falls in (the first, before them all). */
export function dayFinder(dayStarts: readonly number[]): (ms: number) => number {
  return (t) => {
    let lo = 0;
    let hi = dayStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (dayStarts[mid] <= t) lo = mid;
      else hi = mid - 1;
    }
    return dayStarts[lo];
  };
}
