import { cutoffBefore, localDayStart, localParts, localYearStart, nextLocalYearStart } from './local-time';
import { DEFAULT_CUTOFF, DEFAULT_EVENT_BUDGET, type PricingModel } from './pricing';

/** A critical-peak event an operator declared: the level it forces over its window. */
export interface PeakEvent {
  id: string;
  regionId: string;
  start: number;
  end: number;
  level: 4 | 5;
  reason: string;
  declaredAt: number;
}

/** Where an event may still be declared: the local year whose budget it spends, and how many it allows. */
export interface EventAdmission {
  ok: true;
  year: number;
  yearFrom: number;
  yearTo: number;
  budget: number;
}

export type EventRefusal = { ok: false; code: 'validation_failed' | 'conflict'; detail: string };

/**
 * Whether an event starting at `start` may be declared now, pure: only over critical-peak-5
 * levels, and only before its notice deadline — the day-ahead cut-off before the local day it
 * starts, in the region's event time `now` — so households are told the day before, as the
 * pilots did. An admitted event then spends one of the local year's budget (counted where the
 * events are stored, serialised per region).
 */
export function admitEvent(start: number, pricing: PricingModel, timeZone: string, now: number): EventAdmission | EventRefusal {
  if (pricing.model !== 'critical-peak-5')
    return {
      ok: false,
      code: 'validation_failed',
      detail: `events override critical-peak-5 levels; the region prices with ${pricing.model} at that time`,
    };
  const deadline = cutoffBefore(localDayStart(start, timeZone), pricing.cutoff ?? DEFAULT_CUTOFF, timeZone);
  if (now >= deadline) {
    return {
      ok: false,
      code: 'conflict',
      detail: `the notice deadline for an event starting ${new Date(start).toISOString()} was ${new Date(deadline).toISOString()} (the day-ahead cut-off before it); the region's time is ${new Date(now).toISOString()}`,
    };
  }
  return {
    ok: true,
    year: localParts(start, timeZone).year,
    yearFrom: localYearStart(start, timeZone),
    yearTo: nextLocalYearStart(start, timeZone),
    budget: pricing.eventBudget ?? DEFAULT_EVENT_BUDGET,
  };
}
