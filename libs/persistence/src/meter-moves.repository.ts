import type { DataSource } from 'typeorm';
import type { CohortPeriod, RegionPeriod } from '@wattline/domain';
import { returnedRows } from './rows';
import type { Sql } from './sql';

/** A plan's period from a row of a change table ('-infinity' is the period before the first change). */
const fromOf = (value: string): number | null => (value === '-infinity' ? null : Date.parse(value));

/**
 * Households' regions and meters' cohorts over time (migration 1763980000000): the change tables,
 * and the tick that makes a change due the value in force (`meters.region_id`, `meters.cohort`).
 */
export class MeterMovesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Each meter's region plan (one period, its region now, for a meter that never moved). */
  async regionPlans(meterIds: string[], sql: Sql = this.dataSource): Promise<Map<string, RegionPeriod[]>> {
    const rows: { id: string; region_id: string; moves: { regionId: string; from: string }[] | null }[] = await sql.query(
      `SELECT m.id, m.region_id,
              (SELECT json_agg(json_build_object('regionId', c.region_id, 'from', c.effective_from) ORDER BY c.effective_from)
                 FROM meter_region_changes c WHERE c.meter_id = m.id) AS moves
         FROM meters m WHERE m.id = ANY($1::text[])`,
      [meterIds],
    );
    return new Map(rows.map((r) => [r.id, regionPlanOf(r.region_id, r.moves)]));
  }

  /** Each meter's cohort plan. */
  async cohortPlans(meterIds: string[], sql: Sql = this.dataSource): Promise<Map<string, CohortPeriod[]>> {
    const rows: { id: string; cohort: string | null; changes: { cohort: string | null; from: string }[] | null }[] = await sql.query(
      `SELECT m.id, m.cohort,
              (SELECT json_agg(json_build_object('cohort', c.cohort, 'from', c.effective_from) ORDER BY c.effective_from)
                 FROM meter_cohort_changes c WHERE c.meter_id = m.id) AS changes
         FROM meters m WHERE m.id = ANY($1::text[])`,
      [meterIds],
    );
    return new Map(
      rows.map((r) => [
        r.id,
        r.changes ? r.changes.map((c) => ({ cohort: c.cohort, from: fromOf(c.from) })) : [{ cohort: r.cohort, from: null }],
      ]),
    );
  }

  /**
   * Writes a household's region plan (its meter's and its inverters'): the history so far is kept,
   * changes at or after `from` are replaced by the one to `regionId`. In the caller's transaction.
   */
  async moveRegion(meterId: string, regionId: string, from: number, at: number, sql: Sql): Promise<void> {
    // The region before the first move: the first row of the history, once it has one.
    await sql.query(
      `INSERT INTO meter_region_changes (meter_id, effective_from, region_id, requested_at)
       SELECT d.id, '-infinity', d.region_id, $2 FROM meters d WHERE d.id = $1 OR d.household_id = $1
       ON CONFLICT DO NOTHING`,
      [meterId, new Date(at)],
    );
    await sql.query(
      `DELETE FROM meter_region_changes
        WHERE meter_id IN (SELECT id FROM meters WHERE id = $1 OR household_id = $1) AND effective_from >= $2`,
      [meterId, new Date(from)],
    );
    await sql.query(
      `INSERT INTO meter_region_changes (meter_id, effective_from, region_id, requested_at)
       SELECT id, $2, $3, $4 FROM meters WHERE id = $1 OR household_id = $1`,
      [meterId, new Date(from), regionId, new Date(at)],
    );
  }

  /** Writes a meter's cohort plan: changes at or after `from` replaced by the one to `cohort`. */
  async changeCohort(meterId: string, cohort: string | null, from: number, at: number, sql: Sql): Promise<void> {
    await sql.query(
      `INSERT INTO meter_cohort_changes (meter_id, effective_from, cohort, requested_at)
       SELECT id, '-infinity', cohort, $2 FROM meters WHERE id = $1 ON CONFLICT DO NOTHING`,
      [meterId, new Date(at)],
    );
    await sql.query(`DELETE FROM meter_cohort_changes WHERE meter_id = $1 AND effective_from >= $2`, [meterId, new Date(from)]);
    await sql.query(`INSERT INTO meter_cohort_changes (meter_id, effective_from, cohort, requested_at) VALUES ($1, $2, $3, $4)`, [
      meterId,
      new Date(from),
      cohort,
      new Date(at),
    ]);
  }

  /**
   * Makes every change due by now the value in force: in the time of the region the device is in,
   * or of the one it moves to, whichever is ahead (their clock leads; a region with no readings yet
   * has none, and a replay of 2013 moves when its own time reaches the move, not today's). A device that changed region gets a `credential-changed` entry in the
   * control log, its household's displays too, in the same statement: every broker reads their
   * credentials again (their price topics are the new region's). The devices moved, by id.
   */
  async applyDue(wallNow: number): Promise<{ moved: string[]; recohorted: string[] }> {
    const due = (table: string, column: string, target: string) => `
      SELECT DISTINCT ON (c.meter_id) c.meter_id, c.${column} AS value
        FROM ${table} c JOIN meters m ON m.id = c.meter_id
        LEFT JOIN region_watermarks w ON w.region_id = m.region_id
        LEFT JOIN region_watermarks t ON t.region_id = ${target}
       WHERE c.effective_from <= $1::timestamptz + make_interval(secs => coalesce(greatest(w.clock_lead_ms, t.clock_lead_ms), 0) / 1000.0)
       ORDER BY c.meter_id, c.effective_from DESC`;
    const moved: { id: string }[] = await this.dataSource.query(
      `WITH due AS (${due('meter_region_changes', 'region_id', 'c.region_id')}),
       moved AS (
         UPDATE meters m SET region_id = d.value FROM due d WHERE m.id = d.meter_id AND m.region_id <> d.value RETURNING m.id
       ),
       told AS (
         INSERT INTO control_events (type, username, at)
         SELECT 'credential-changed', u, $1 FROM (SELECT id AS u FROM moved UNION SELECT c.id FROM client_credentials c JOIN moved ON c.meter_id = moved.id) x
       )
       SELECT id FROM moved ORDER BY id`,
      [new Date(wallNow)],
    );
    const recohorted: { id: string }[] = returnedRows(
      await this.dataSource.query(
        `WITH due AS (${due('meter_cohort_changes', 'cohort', 'm.region_id')})
       UPDATE meters m SET cohort = d.value FROM due d WHERE m.id = d.meter_id AND m.cohort IS DISTINCT FROM d.value RETURNING m.id`,
        [new Date(wallNow)],
      ),
    );
    return { moved: moved.map((r) => r.id), recohorted: recohorted.map((r) => r.id).sort() };
  }
}

/** A region plan from a meter's region now and its change rows (json_agg of regionId and from), if any. */
export function regionPlanOf(regionNow: string, moves: { regionId: string; from: string }[] | null): RegionPeriod[] {
  return moves ? moves.map((c) => ({ regionId: c.regionId, from: fromOf(c.from) })) : [{ regionId: regionNow, from: null }];
}
