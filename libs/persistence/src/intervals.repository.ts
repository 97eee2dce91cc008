import type { DataSource } from 'typeorm';
import type { AggregateRevision, IntervalAggregate, Page, Price, Tariff } from '@wattline/domain';
import { decodeCursor, pageOf } from './cursor';

export interface OpenInterval {
  regionId: string;
  intervalStart: number;
  intervalEnd: number;
  watermark: number;
  lastArrivalAt: number;
}

type Row = Record<string, unknown>;
const time = (v: unknown) => (v as Date).getTime();

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
  };
}

function toTariff(r: Row): Tariff {
  return {
    regionId: r.region_id as string,
    intervalStart: time(r.interval_start),
    intervalEnd: time(r.interval_end),
    price: String(r.price),
    currency: r.currency as string,
    unit: 'kWh',
    level: Number(r.level) as Tariff['level'],
    demandWh: Number(r.demand_wh),
    supplyWh: Number(r.supply_wh),
    model: r.model as Tariff['model'],
    computedAt: time(r.computed_at),
  };
}

/** Interval aggregates and the tariffs priced from them. */
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
   * Closes one interval and stores its price in one transaction. Exactly once: the update
   * only matches an open interval, so a second closer (or a retry) prices nothing.
   */
  async closeAndPrice(
    regionId: string,
    intervalStart: number,
    nowMs: number,
    price: (aggregate: IntervalAggregate) => Price,
  ): Promise<Tariff | null> {
    return this.dataSource.transaction(async (tx) => {
      const closed: Row[] = await tx.query(
        `UPDATE interval_aggregates SET closed_at = $3
          WHERE region_id = $1 AND interval_start = $2 AND closed_at IS NULL
          RETURNING *`,
        [regionId, new Date(intervalStart), new Date(nowMs)],
      );
      // pg returns [rows, affected] for UPDATE … RETURNING through TypeORM.
      const row = (Array.isArray(closed[0]) ? (closed[0] as Row[]) : closed)[0];
      if (!row) return null;
      const p = price(toAggregate(row));
      const inserted: Row[] = await tx.query(
        `INSERT INTO tariffs (region_id, interval_start, interval_end, price, currency, level, demand_wh, supply_wh, model, computed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (region_id, interval_start) DO NOTHING RETURNING *`,
        [p.regionId, new Date(p.intervalStart), new Date(p.intervalEnd), p.price, p.currency, p.level, p.demandWh, p.supplyWh, p.model, new Date(nowMs)],
      );
      return inserted.length === 0 ? null : toTariff(inserted[0]);
    });
  }

  /**
   * Drains the outbox: locks the unpublished tariffs (skipping any another aggregator replica
   * holds), hands them to `publish`, and marks them published in the same transaction. Two
   * replicas never publish the same tariff; a failed publish leaves it for the next run.
   */
  async publishPendingTariffs(publish: (tariffs: Tariff[]) => Promise<void>, nowMs: number): Promise<Tariff[]> {
    return this.dataSource.transaction(async (tx) => {
      const rows: Row[] = await tx.query(
        `SELECT * FROM tariffs WHERE published_at IS NULL ORDER BY interval_start LIMIT 1000 FOR UPDATE SKIP LOCKED`,
      );
      if (rows.length === 0) return [];
      const tariffs = rows.map(toTariff);
      await publish(tariffs);
      await tx.query(
        `UPDATE tariffs t SET published_at = $3
           FROM unnest($1::text[], $2::timestamptz[]) AS u(region_id, interval_start)
          WHERE t.region_id = u.region_id AND t.interval_start = u.interval_start`,
        [tariffs.map((t) => t.regionId), tariffs.map((t) => new Date(t.intervalStart)), new Date(nowMs)],
      );
      return tariffs;
    });
  }

  async listTariffs(regionId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<Tariff>> {
    const after = decodeCursor<number>(cursor, 'number');
    const rows = await this.dataSource.query(
      `SELECT * FROM tariffs
        WHERE region_id = $1 AND interval_start >= $2 AND interval_start < $3
          AND ($4::timestamptz IS NULL OR interval_start > $4)
        ORDER BY interval_start LIMIT $5`,
      [regionId, new Date(from), new Date(to), after === null ? null : new Date(after), limit + 1],
    );
    return pageOf(rows.map(toTariff), limit, (t) => t.intervalStart);
  }

  async currentTariff(regionId: string): Promise<Tariff | null> {
    const rows = await this.dataSource.query(
      `SELECT * FROM tariffs WHERE region_id = $1 ORDER BY interval_start DESC LIMIT 1`,
      [regionId],
    );
    return rows.length === 0 ? null : toTariff(rows[0]);
  }

  /** Prices by interval start for one region, for bills. */
  async tariffsBetween(regionId: string, from: number, to: number): Promise<Tariff[]> {
    const rows = await this.dataSource.query(
      `SELECT * FROM tariffs WHERE region_id = $1 AND interval_start >= $2 AND interval_start < $3 ORDER BY interval_start`,
      [regionId, new Date(from), new Date(to)],
    );
    return rows.map(toTariff);
  }

  /** The trail of late-data revisions of a region's intervals. */
  async listRevisions(regionId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<AggregateRevision>> {
    const after = decodeCursor<string>(cursor, 'string');
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

  async listAggregates(regionId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<IntervalAggregate>> {
    const after = decodeCursor<number>(cursor, 'number');
    const rows = await this.dataSource.query(
      `SELECT * FROM interval_aggregates
        WHERE region_id = $1 AND interval_start >= $2 AND interval_start < $3
          AND ($4::timestamptz IS NULL OR interval_start > $4)
        ORDER BY interval_start LIMIT $5`,
      [regionId, new Date(from), new Date(to), after === null ? null : new Date(after), limit + 1],
    );
    return pageOf(rows.map(toAggregate), limit, (a) => a.intervalStart);
  }
}
