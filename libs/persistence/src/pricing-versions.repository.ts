import type { DataSource } from 'typeorm';
import type { Page, PricingModel, PricingVersion } from '@wattline/domain';
import { decodeCursor, pageOf } from './cursor';
import { maybeTime, returnedRows, time, timestamp, type Row } from './rows';
import type { Sql } from './sql';

/** A region's clocks and where its pricing has got to. */
export interface RegionPricingState {
  regionId: string;
  timezone: string;
  /** Event time: the latest reading time seen (null before the first reading). */
  watermark: number | null;
  lastArrivalAt: number | null;
  /** How far ahead of the wall clock the region's event time runs (ms; null before the first reading): see `regionNow`. */
  clockLead: number | null;
  /** The next local day the day-ahead schedule has to price (null until the region has event time). */
  nextDayStart: number | null;
  /** The interval `prices/{region}/current` announces now, and on what basis. */
  currentStart: number | null;
  currentBasis: string | null;
  currentVersion: number | null;
  /** The region's earliest measured interval (read only while it has no day scheduled yet). */
  firstIntervalStart: number | null;
}

/** What `prices/{region}/current` announces: an interval, the basis and the pricing version of its price. */
export interface CurrentAnnouncement {
  start: number | null;
  basis: string | null;
  version: number | null;
}

function toPricingVersion(regionId: string, r: Row): PricingVersion {
  return {
    regionId,
    version: r.version as number,
    effectiveFrom: maybeTime(r.effective_from),
    pricing: r.pricing as PricingModel,
    createdAt: time(r.created_at),
  };
}

/**
 * `region_pricing` (every version of a region's pricing) and `region_schedule_state` (where the
 * day-ahead schedule and the price in force have got to). Each move of the state is guarded on
 * what the caller saw, so replicas racing for it move it once. The only SQL on these tables.
 */
export class PricingVersionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Every version of a region's pricing, oldest first. */
  async versions(regionId: string): Promise<PricingVersion[]> {
    const rows: Row[] = await this.dataSource.query(`SELECT * FROM region_pricing WHERE region_id = $1 ORDER BY version`, [regionId]);
    return rows.map((r) => toPricingVersion(regionId, r));
  }

  /** Every region's versions, oldest first, in one query (a pass of the clock loads them once). */
  async allVersions(): Promise<Map<string, PricingVersion[]>> {
    const rows: Row[] = await this.dataSource.query(`SELECT * FROM region_pricing ORDER BY region_id, version`);
    const byRegion = new Map<string, PricingVersion[]>();
    for (const r of rows) {
      const id = r.region_id as string;
      const list = byRegion.get(id) ?? [];
      byRegion.set(id, list);
      list.push(toPricingVersion(id, r));
    }
    return byRegion;
  }

  /** A page of them, after the version a cursor carries. */
  async page(regionId: string, limit: number, cursor?: string): Promise<Page<PricingVersion>> {
    const after = decodeCursor<number>(cursor, 'number') ?? 0;
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM region_pricing WHERE region_id = $1 AND version > $2 ORDER BY version LIMIT $3`,
      [regionId, after, limit + 1],
    );
    return pageOf(
      rows.map((r) => toPricingVersion(regionId, r)),
      limit,
      (v) => v.version,
    );
  }

  /** Adds the region's next version, effective from `effectiveFrom` (run under the region's lock). */
  async add(regionId: string, pricing: PricingModel, effectiveFrom: number, nowMs: number, sql: Sql): Promise<PricingVersion> {
    const [row] = await sql.query(
      `INSERT INTO region_pricing (region_id, version, effective_from, pricing, created_at)
       SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4 FROM region_pricing WHERE region_id = $1 RETURNING *`,
      [regionId, new Date(effectiveFrom), JSON.stringify(pricing), new Date(nowMs)],
    );
    return toPricingVersion(regionId, row);
  }

  /** Every region's state (or one region's), by region id. */
  async regionStates(regionId?: string): Promise<RegionPricingState[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT r.id, r.timezone, w.watermark, w.last_arrival_at, w.clock_lead_ms, s.next_day_start, s.current_start, s.current_basis, s.current_version,
              CASE WHEN s.next_day_start IS NULL THEN (SELECT min(a.interval_start) FROM interval_aggregates a WHERE a.region_id = r.id) END AS first_interval
         FROM regions r LEFT JOIN region_watermarks w ON w.region_id = r.id LEFT JOIN region_schedule_state s ON s.region_id = r.id
        WHERE $1::text IS NULL OR r.id = $1
        ORDER BY r.id`,
      [regionId ?? null],
    );
    return rows.map((r) => ({
      regionId: r.id as string,
      timezone: r.timezone as string,
      watermark: maybeTime(r.watermark),
      lastArrivalAt: maybeTime(r.last_arrival_at),
      clockLead: r.clock_lead_ms === null || r.clock_lead_ms === undefined ? null : Number(r.clock_lead_ms),
      nextDayStart: maybeTime(r.next_day_start),
      currentStart: maybeTime(r.current_start),
      currentBasis: (r.current_basis as string | null) ?? null,
      currentVersion: (r.current_version as number | null) ?? null,
      firstIntervalStart: maybeTime(r.first_interval),
    }));
  }

  /** Gives a region its state row, with the first day to schedule once it has event time. */
  async initState(regionId: string, nextDayStart: number | null): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO region_schedule_state (region_id, next_day_start) VALUES ($1, $2)
       ON CONFLICT (region_id) DO UPDATE SET next_day_start = EXCLUDED.next_day_start WHERE region_schedule_state.next_day_start IS NULL`,
      [regionId, timestamp(nextDayStart)],
    );
  }

  /** Moves the region's next day to schedule from `dayStart` to `nextDayStart`, only if it is still `dayStart`: true once, for one caller. */
  async advanceDay(regionId: string, dayStart: number, nextDayStart: number, sql: Sql = this.dataSource): Promise<boolean> {
    const moved = returnedRows(
      await sql.query(`UPDATE region_schedule_state SET next_day_start = $3 WHERE region_id = $1 AND next_day_start = $2 RETURNING 1`, [
        regionId,
        new Date(dayStart),
        new Date(nextDayStart),
      ]),
    );
    return moved.length > 0;
  }

  /** Moves what `prices/{region}/current` announces, only if it is still what the caller saw: true once, for one caller. */
  async moveCurrent(
    regionId: string,
    seen: CurrentAnnouncement,
    next: { start: number; basis: string; version: number },
    sql: Sql = this.dataSource,
  ): Promise<boolean> {
    const moved = returnedRows(
      await sql.query(
        `UPDATE region_schedule_state SET current_start = $5, current_basis = $6, current_version = $7
          WHERE region_id = $1 AND current_start IS NOT DISTINCT FROM $2 AND current_basis IS NOT DISTINCT FROM $3 AND current_version IS NOT DISTINCT FROM $4 RETURNING 1`,
        [regionId, timestamp(seen.start), seen.basis, seen.version, new Date(next.start), next.basis, next.version],
      ),
    );
    return moved.length > 0;
  }
}
