import type { DataSource } from 'typeorm';
import type { Page, PricingModel, PricingVersion, TariffRef } from '@wattline/domain';
import { decodeCursor, pageOf } from './cursor';
import { maybeTime, returnedRows, time, timestamp, type Row } from './rows';
import type { Sql } from './sql';

/** A region's clocks and where the pricing of one of its tariffs has got to. */
export interface RegionPricingState {
  regionId: string;
  tariff: string;
  /** The region's default tariff (announced on `prices/{region}/…`, the others on `prices/{region}/{tariff}/…`). */
  defaultTariff: string;
  timezone: string;
  /** Event time: the latest reading time seen (null before the first reading). */
  watermark: number | null;
  lastArrivalAt: number | null;
  /** How far ahead of the wall clock the region's event time runs (ms; null before the first reading): see `regionNow`. */
  clockLead: number | null;
  /** The next local day the tariff's day-ahead schedule has to price (null until the region has event time). */
  nextDayStart: number | null;
  /** The interval `prices/{region}/current` announces now, and on what basis. */
  currentStart: number | null;
  currentBasis: string | null;
  currentVersion: number | null;
  /** The region's earliest measured interval (read only while it has no day scheduled yet). */
  firstIntervalStart: number | null;
  /** The earliest `effective_from` of the tariff's versions (null: from the beginning): no day before it is scheduled. */
  tariffFrom: number | null;
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
    tariff: r.tariff as string,
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

  /** Every version of one tariff's pricing, oldest first. */
  async versions(ref: TariffRef): Promise<PricingVersion[]> {
    const rows: Row[] = await this.dataSource.query(`SELECT * FROM region_pricing WHERE region_id = $1 AND tariff = $2 ORDER BY version`, [
      ref.regionId,
      ref.tariff,
    ]);
    return rows.map((r) => toPricingVersion(ref.regionId, r));
  }

  /** Every version of every tariff of a region, by tariff, oldest first (bills of households on any of them). */
  async versionsByTariff(regionId: string): Promise<Map<string, PricingVersion[]>> {
    return (await this.allVersions(regionId)).get(regionId) ?? new Map();
  }

  /** Every region's versions (or one region's) by region and tariff, oldest first, in one query (a pass of the clock loads them once). */
  async allVersions(regionId?: string): Promise<Map<string, Map<string, PricingVersion[]>>> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM region_pricing WHERE $1::text IS NULL OR region_id = $1 ORDER BY region_id, tariff, version`,
      [regionId ?? null],
    );
    const byRegion = new Map<string, Map<string, PricingVersion[]>>();
    for (const r of rows) {
      const version = toPricingVersion(r.region_id as string, r);
      const tariffs = byRegion.get(version.regionId) ?? new Map<string, PricingVersion[]>();
      byRegion.set(version.regionId, tariffs);
      const list = tariffs.get(version.tariff) ?? [];
      tariffs.set(version.tariff, list);
      list.push(version);
    }
    return byRegion;
  }

  /** A page of one tariff's versions, after the version a cursor carries. */
  async page(ref: TariffRef, limit: number, cursor?: string): Promise<Page<PricingVersion>> {
    const after = decodeCursor<number>(cursor, 'number') ?? 0;
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM region_pricing WHERE region_id = $1 AND tariff = $4 AND version > $2 ORDER BY version LIMIT $3`,
      [ref.regionId, after, limit + 1, ref.tariff],
    );
    return pageOf(
      rows.map((r) => toPricingVersion(ref.regionId, r)),
      limit,
      (v) => v.version,
    );
  }

  /**
   * Adds a tariff's next version, effective from `effectiveFrom` (null: from the beginning, for a
   * tariff's first version); a tariff the region did not offer yet starts at version 1. Run under the region's lock.
   */
  async add(ref: TariffRef, pricing: PricingModel, effectiveFrom: number | null, nowMs: number, sql: Sql): Promise<PricingVersion> {
    const [row] = await sql.query(
      `INSERT INTO region_pricing (region_id, tariff, version, effective_from, pricing, created_at)
       SELECT $1, $5, coalesce(max(version), 0) + 1, $2, $3, $4 FROM region_pricing WHERE region_id = $1 AND tariff = $5 RETURNING *`,
      [ref.regionId, timestamp(effectiveFrom), JSON.stringify(pricing), new Date(nowMs), ref.tariff],
    );
    return toPricingVersion(ref.regionId, row);
  }

  /** How far a region's event time runs ahead of the store's clock (negative in a replay); null before its first reading. */
  async clockLead(regionId: string): Promise<number | null> {
    const [row] = await this.dataSource.query(`SELECT clock_lead_ms FROM region_watermarks WHERE region_id = $1`, [regionId]);
    return row?.clock_lead_ms === null || row?.clock_lead_ms === undefined ? null : Number(row.clock_lead_ms);
  }

  /** The state of every tariff of every region (or of one region), by region id and tariff. */
  async regionStates(regionId?: string): Promise<RegionPricingState[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT r.id, t.tariff, t.tariff_from, r.default_tariff, r.timezone, w.watermark, w.last_arrival_at, w.clock_lead_ms,
              s.next_day_start, s.current_start, s.current_basis, s.current_version,
              CASE WHEN s.next_day_start IS NULL THEN (SELECT min(a.interval_start) FROM interval_aggregates a WHERE a.region_id = r.id) END AS first_interval
         FROM regions r
         JOIN (SELECT region_id, tariff, CASE WHEN bool_or(effective_from IS NULL) THEN NULL ELSE min(effective_from) END AS tariff_from
                 FROM region_pricing GROUP BY region_id, tariff) t ON t.region_id = r.id
         LEFT JOIN region_watermarks w ON w.region_id = r.id
         LEFT JOIN region_schedule_state s ON s.region_id = r.id AND s.tariff = t.tariff
        WHERE $1::text IS NULL OR r.id = $1
        ORDER BY r.id, t.tariff`,
      [regionId ?? null],
    );
    return rows.map((r) => ({
      regionId: r.id as string,
      tariff: r.tariff as string,
      defaultTariff: r.default_tariff as string,
      tariffFrom: maybeTime(r.tariff_from),
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

  /** Gives a tariff its state row, with the first day to schedule once the region has event time. */
  async initState(ref: TariffRef, nextDayStart: number | null): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO region_schedule_state (region_id, tariff, next_day_start) VALUES ($1, $3, $2)
       ON CONFLICT (region_id, tariff) DO UPDATE SET next_day_start = EXCLUDED.next_day_start WHERE region_schedule_state.next_day_start IS NULL`,
      [ref.regionId, timestamp(nextDayStart), ref.tariff],
    );
  }

  /** Moves a tariff's next day to schedule from `dayStart` to `nextDayStart`, only if it is still `dayStart`: true once, for one caller. */
  async advanceDay(ref: TariffRef, dayStart: number, nextDayStart: number, sql: Sql = this.dataSource): Promise<boolean> {
    const moved = returnedRows(
      await sql.query(
        `UPDATE region_schedule_state SET next_day_start = $3 WHERE region_id = $1 AND tariff = $4 AND next_day_start = $2 RETURNING 1`,
        [ref.regionId, new Date(dayStart), new Date(nextDayStart), ref.tariff],
      ),
    );
    return moved.length > 0;
  }

  /** Whether `dayStart` is still the tariff's next day to schedule; locks its state row for the caller's transaction. */
  async isNextDay(ref: TariffRef, dayStart: number, sql: Sql = this.dataSource): Promise<boolean> {
    const rows: Row[] = await sql.query(
      `SELECT 1 FROM region_schedule_state WHERE region_id = $1 AND tariff = $3 AND next_day_start = $2 FOR UPDATE`,
      [ref.regionId, new Date(dayStart), ref.tariff],
    );
    return rows.length > 0;
  }

  /** Moves what a tariff's `current` topic announces, only if it is still what the caller saw: true once, for one caller. */
  async moveCurrent(
    ref: TariffRef,
    seen: CurrentAnnouncement,
    next: { start: number; basis: string; version: number },
    sql: Sql = this.dataSource,
  ): Promise<boolean> {
    const moved = returnedRows(
      await sql.query(
        `UPDATE region_schedule_state SET current_start = $5, current_basis = $6, current_version = $7
          WHERE region_id = $1 AND tariff = $8 AND current_start IS NOT DISTINCT FROM $2 AND current_basis IS NOT DISTINCT FROM $3 AND current_version IS NOT DISTINCT FROM $4 RETURNING 1`,
        [ref.regionId, timestamp(seen.start), seen.basis, seen.version, new Date(next.start), next.basis, next.version, ref.tariff],
      ),
    );
    return moved.length > 0;
  }
}
