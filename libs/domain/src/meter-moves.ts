import { DomainError } from './errors';
import { checkEffectiveFrom } from './tariff-plans';

/**
 * A household's regions over time: where it was provisioned (`from: null`), then each move, in
 * force from an interval start, oldest first. A move takes the meter and its inverters: their
 * readings from then on count in the new region, and the household's account there starts then.
 */
export interface RegionPeriod {
  regionId: string;
  from: number | null;
}

/** A meter's cohort (its group in the response analysis) over time, as a region plan is. */
export interface CohortPeriod {
  cohort: string | null;
  from: number | null;
}

/** The period of a plan in force at `at` (the first one before any change). */
function periodAt<P extends { from: number | null }>(plan: P[], at: number): P {
  let chosen = plan[0];
  for (const p of plan) if ((p.from ?? -Infinity) <= at) chosen = p;
  if (!chosen) throw new Error('an empty plan');
  return chosen;
}

export function regionAt(plan: RegionPeriod[], at: number): string {
  return periodAt(plan, at).regionId;
}

export function cohortAt(plan: CohortPeriod[], at: number): string | null {
  return periodAt(plan, at).cohort;
}

/** The first move strictly inside (from, to), if any: where a stay in one region ends. */
export function moveWithin(plan: RegionPeriod[], from: number, to: number): RegionPeriod | null {
  return plan.find((p) => p.from !== null && p.from > from && p.from < to) ?? null;
}

/**
 * Why a reading cannot be counted in one region, or null: its period spans the household's
 * move (its energy would be split between two regions' intervals). The one place the broker
 * and the dead-letter replay decide it; the meter sends it as two readings instead.
 */
export function spansMove(plan: RegionPeriod[], reading: { ts: number; periodS: number }): string | null {
  const move = moveWithin(plan, reading.ts - reading.periodS * 1000, reading.ts);
  return move === null
    ? null
    : `the period spans the household's move to region ${move.regionId} at ${new Date(move.from!).toISOString()}: send it as two readings, one ending then`;
}

/** A household's stays in `regionId` that overlap [from, to), each cut to the window. */
export function staysIn(plan: RegionPeriod[], regionId: string, from: number, to: number): { from: number; to: number }[] {
  const stays: { from: number; to: number }[] = [];
  plan.forEach((p, i) => {
    if (p.regionId !== regionId) return;
    const start = Math.max(from, p.from ?? -Infinity);
    const end = Math.min(to, plan[i + 1]?.from ?? Infinity);
    if (start < end) stays.push({ from: start, to: end });
  });
  return stays;
}

/**
 * Where the household's account in the region it is in at `at` began: its move there, or null
 * (it was provisioned there). A bill's yearly account (protection) starts no earlier.
 */
export function movedInAt(plan: RegionPeriod[], at: number): number | null {
  return periodAt(plan, at).from;
}

/**
 * Admits a move of a household to `regionId` from a future interval start (checked in the
 * time of the region it is in now): to a region that exists, other than the one it will be in
 * then. The plan it leaves: moves at or after `from` are replaced by this one.
 */
export function planWithMove(
  plan: RegionPeriod[],
  move: { regionId: string; from: number },
  regionNow: number,
  intervalMs: number,
): RegionPeriod[] {
  checkEffectiveFrom(move.from, regionNow, intervalMs, 'a region');
  const kept = plan.filter((p) => (p.from ?? -Infinity) < move.from);
  if (regionAt(kept, move.from) === move.regionId)
    throw new DomainError('conflict', `the household is already in region ${move.regionId} at ${new Date(move.from).toISOString()}`, {
      field: 'regionId',
    });
  return [...kept, { regionId: move.regionId, from: move.from }];
}

/** Admits a change of a meter's cohort from a future interval start: later changes are replaced. */
export function planWithCohort(
  plan: CohortPeriod[],
  change: { cohort: string | null; from: number },
  regionNow: number,
  intervalMs: number,
): CohortPeriod[] {
  checkEffectiveFrom(change.from, regionNow, intervalMs, 'a cohort');
  const kept = plan.filter((p) => (p.from ?? -Infinity) < change.from);
  if (cohortAt(kept, change.from) === change.cohort)
    throw new DomainError(
      'conflict',
      `the meter is already ${change.cohort === null ? 'in no cohort' : `in cohort "${change.cohort}"`} at ${new Date(change.from).toISOString()}`,
      { field: 'cohort' },
    );
  return [...kept, { cohort: change.cohort, from: change.from }];
}
