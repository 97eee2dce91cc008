import type { DataSource } from 'typeorm';
import type { AggregateRevision, IntervalActual, IntervalAggregate, Page } from '@wattline/domain';
import { decodeCursor, pageOf, rangePage } from './cursor';
import { returnedRows, time, type Row } from './rows';

/** An open interval with its region's event time. */
export interface OpenInterval {
  regionId: string;
  intervalStart: number;
  intervalEnd: number;
  watermark: number;
  lastArrivalAt: number;
}

/**
 * Storing a batch and closing an interval of the same region are serialised through a
 * transaction-level advisory lock on the region: stores share it, a close takes it alone. So
 * a reading is either in the sums the interval was closed (and is priced) with, or stored
 * after the close and flagged late (a new version with a revision) — never added silently.
 */
export const REGION_LOCK_NAMESPACE = 7411;

function toAggregate(r: Row): IntervalAggregate {
  return {
    regionId: r.region_id as string,
    intervalStart: time(r.interval_start),
    intervalEnd: time(r.interval_end),
    demandWh: Number(r.demand_wh),
    supplyWh: Number(r.supply_wh),
    readings: r.readings as number,
    metersReporting: r.meters_reporting as number,
    lateReadings: r.late_readings as number,
    closedAt: r.closed_at === null ? null : time(r.closed_at),
    version: Number(r.version ?? 1),
    measuredUtilisation: r.measured_utilisation === undefined || r.measured_utilisation === null ? null : Number(r.measured_utilisation),
    expostLevel: r.expost_level === undefined || r.expost_level === null ? null : Number(r.expost_level),
  };
}

/**
 * `interval_aggregates` and `aggregate_revisions`: each region's sums per interval, their close,
 * their measured outcome and the trail of late data. The only SQL on them (the readings
 * repository folds stored readings into the sums in the same statement as it stores them).
 */
export class IntervalsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async openIntervals(): Promise<OpenInterval[]> {
    const rows = await this.dataSource.query(
      `SELECT a.region_id, a.interval_start, a.interval_end, w.watermark, w.last_arrival_at
         FROM interval_aggregates a JOIN region_watermarks w USING (region_id)
        WHERE a.closed_at IS NULL ORDER BY a.interval_start`,
    );
    return rows.map((r: Row) => ({
      regionId: r.region_id as string,
      intervalStart: time(r.interval_start),
      intervalEnd: time(r.interval_end),
      watermark: time(r.watermark),
      lastArrivalAt: time(r.last_arrival_at),
    }));
  }

  /**
   * Closes an interval if it is still open, recording the sums it has at this moment (what it
   * is priced from). Under the region's lock, so no store of the region is half-way: every
   * reading is either in these sums or stored after and flagged late.
   */
  async closeInterval(regionId: string, intervalStart: number, nowMs: number): Promise<boolean> {
    return this.dataSource.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [REGION_LOCK_NAMESPACE, regionId]);
      const closed: Row[] = await tx.query(
        `UPDATE interval_aggregates SET closed_at = $3, closed_demand_wh = demand_wh, closed_supply_wh = supply_wh
          WHERE region_id = $1 AND interval_start = $2 AND closed_at IS NULL
          RETURNING 1`,
        [regionId, new Date(intervalStart), new Date(nowMs)],
      );
      return returnedRows(closed).length > 0;
    });
  }

  /** Closed intervals whose measured outcome is not recorded yet, with the sums they were closed with (oldest first). */
  async closedWithoutOutcome(limit = 1000): Promise<IntervalAggregate[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT a.region_id, a.interval_start, a.interval_end, a.closed_demand_wh AS demand_wh, a.closed_supply_wh AS supply_wh,
              a.readings, a.meters_reporting, a.late_readings, a.closed_at, a.version
         FROM interval_aggregates a
        WHERE a.closed_at IS NOT NULL AND a.outcome_recorded_at IS NULL
        ORDER BY a.interval_start LIMIT $1`,
      [limit],
    );
    return rows.map(toAggregate);
  }

  /** Records what a closed interval turned out to be: its measured utilisation and the level it would have had (null where the model has none). */
  async recordOutcome(
    regionId: string,
    intervalStart: number,
    outcome: { utilisation: number | null; level: number | null },
    nowMs: number,
  ): Promise<void> {
    await this.dataSource.query(
      `UPDATE interval_aggregates SET measured_utilisation = $3, expost_level = $4, outcome_recorded_at = $5
        WHERE region_id = $1 AND interval_start = $2 AND outcome_recorded_at IS NULL`,
      [
        regionId,
        new Date(intervalStart),
        outcome.utilisation === null || !Number.isFinite(outcome.utilisation) ? null : outcome.utilisation,
        outcome.level,
        new Date(nowMs),
      ],
    );
  }

  /** Measured demand and supply of a region's closed intervals in [from, to), for forecasting. */
  async history(regionId: string, from: number, to: number): Promise<IntervalActual[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT interval_start, demand_wh, supply_wh FROM interval_aggregates
        WHERE region_id = $1 AND interval_start >= $2 AND interval_start < $3 AND closed_at IS NOT NULL ORDER BY interval_start`,
      [regionId, new Date(from), new Date(to)],
    );
    return rows.map((r) => ({ intervalStart: time(r.interval_start), demandWh: Number(r.demand_wh), supplyWh: Number(r.supply_wh) }));
  }

  /** The measured state of one interval so far (open or closed), for intraday pricing. */
  async measured(regionId: string, intervalStart: number): Promise<IntervalActual | null> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT interval_start, demand_wh, supply_wh FROM interval_aggregates WHERE region_id = $1 AND interval_start = $2`,
      [regionId, new Date(intervalStart)],
    );
    return rows.length === 0
      ? null
      : { intervalStart: time(rows[0].interval_start), demandWh: Number(rows[0].demand_wh), supplyWh: Number(rows[0].supply_wh) };
  }

  /** The trail of late-data revisions of a region's intervals. */
  async revisionsPage(regionId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<AggregateRevision>> {
    const after = decodeCursor<string>(cursor, 'string', /^\d+:\d+$/);
    const rows = await this.dataSource.query(
      `SELECT *, extract(epoch FROM interval_start)::bigint * 1000 || ':' || version AS sort_key FROM aggregate_revisions
        WHERE region_id = $1 AND interval_start >= $2 AND interval_start < $3
          AND ($4::text IS NULL OR (interval_start, version) > (to_timestamp(split_part($4, ':', 1)::bigint / 1000.0), split_part($4, ':', 2)::int))
        ORDER BY interval_start, version LIMIT $5`,
      [regionId, new Date(from), new Date(to), after, limit + 1],
    );
    const revisions: AggregateRevision[] = rows.map((r: Row) => ({
      regionId: r.region_id as string,
      intervalStart: time(r.interval_start),
      version: r.version as number,
      demandDeltaWh: Number(r.demand_delta_wh),
      supplyDeltaWh: Number(r.supply_delta_wh),
      readingsDelta: r.readings_delta as number,
      reason: r.reason as string,
      revisedBy: r.revised_by as string,
      revisedAt: time(r.revised_at),
    }));
    return pageOf(revisions, limit, (r) => `${r.intervalStart}:${r.version}`);
  }

  aggregatesPage(regionId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<IntervalAggregate>> {
    return rangePage(
      this.dataSource,
      { from: '* FROM interval_aggregates', owner: ['region_id', regionId], time: 'interval_start', range: { from, to }, limit, cursor },
      toAggregate,
      (a) => a.intervalStart,
    );
  }
}
