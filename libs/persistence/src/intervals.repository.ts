import type { DataSource } from 'typeorm';
import { money, type AggregateRevision, type IntervalAggregate, type Level, type Page, type PriceExplanation, type Tariff } from '@wattline/domain';
import { decodeCursor, pageOf } from './cursor';
import { returnedRows } from './returned-rows';

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
    measuredUtilisation: r.measured_utilisation === undefined || r.measured_utilisation === null ? null : Number(r.measured_utilisation),
    expostLevel: r.expost_level === undefined || r.expost_level === null ? null : Number(r.expost_level),
  };
}

/** PostgreSQL numerics come back as text with the column's scale: shown as the domain shows money. */
export const moneyText = (v: unknown): string => money(String(v));

const nullableNumber = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export function toTariff(r: Row): Tariff {
  return {
    regionId: r.region_id as string,
    intervalStart: time(r.interval_start),
    intervalEnd: time(r.interval_end),
    validFrom: time(r.valid_from),
    validTo: time(r.valid_to),
    price: moneyText(r.price),
    priceExTax: moneyText(r.price_ex_tax),
    tax: moneyText(r.tax),
    currency: r.currency as string,
    unit: 'kWh',
    level: Number(r.level) as Level,
    firm: r.firm as boolean,
    basis: r.basis as Tariff['basis'],
    forecastDemandWh: nullableNumber(r.forecast_demand_wh),
    forecastSupplyWh: nullableNumber(r.forecast_supply_wh),
    model: r.model as Tariff['model'],
    modelVersion: Number(r.model_version),
    feedInPrice: moneyText(r.feed_in_price),
    computedAt: time(r.computed_at),
    ...(r.explanation ? { explanation: r.explanation as PriceExplanation } : {}),
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
  async recordOutcome(regionId: string, intervalStart: number, outcome: { utilisation: number | null; level: number | null }, nowMs: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE interval_aggregates SET measured_utilisation = $3, expost_level = $4, outcome_recorded_at = $5
        WHERE region_id = $1 AND interval_start = $2 AND outcome_recorded_at IS NULL`,
      [regionId, new Date(intervalStart), outcome.utilisation === null || !Number.isFinite(outcome.utilisation) ? null : outcome.utilisation, outcome.level, new Date(nowMs)],
    );
  }

  /**
   * Claims up to `limit` unpublished tariffs for `claimant` for `leaseMs`, in one statement
   * (rows another replica is claiming are skipped), oldest first. No lock outlives it.
   */
  async claimUnpublishedTariffs(claimant: string, nowMs: number, leaseMs: number, limit = 1000): Promise<Tariff[]> {
    const rows: Row[] = await this.dataSource.query(
      `UPDATE tariffs t SET claimed_by = $1, claimed_until = $3
         FROM (SELECT region_id, interval_start FROM tariffs
                WHERE published_at IS NULL AND (claimed_until IS NULL OR claimed_until < $2)
                ORDER BY interval_start LIMIT $4 FOR UPDATE SKIP LOCKED) c
        WHERE t.region_id = c.region_id AND t.interval_start = c.interval_start
        RETURNING t.*`,
      [claimant, new Date(nowMs), new Date(nowMs + leaseMs), limit],
    );
    const list = returnedRows<Row>(rows).map(toTariff);
    return list.sort((a, b) => a.intervalStart - b.intervalStart || a.regionId.localeCompare(b.regionId));
  }

  /** Marks tariffs published; only the claimant's own claims count (an expired claim taken over is not). */
  async markTariffsPublished(tariffs: Pick<Tariff, 'regionId' | 'intervalStart'>[], claimant: string, nowMs: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE tariffs t SET published_at = $4, claimed_until = NULL
         FROM unnest($1::text[], $2::timestamptz[]) AS u(region_id, interval_start)
        WHERE t.region_id = u.region_id AND t.interval_start = u.interval_start AND t.claimed_by = $3 AND t.published_at IS NULL`,
      [tariffs.map((t) => t.regionId), tariffs.map((t) => new Date(t.intervalStart)), claimant, new Date(nowMs)],
    );
  }

  /** Gives claims back after a failed publish, so the next pass (here or elsewhere) retries at once. */
  async releaseTariffClaims(tariffs: Pick<Tariff, 'regionId' | 'intervalStart'>[], claimant: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE tariffs t SET claimed_by = NULL, claimed_until = NULL
         FROM unnest($1::text[], $2::timestamptz[]) AS u(region_id, interval_start)
        WHERE t.region_id = u.region_id AND t.interval_start = u.interval_start AND t.claimed_by = $3 AND t.published_at IS NULL`,
      [tariffs.map((t) => t.regionId), tariffs.map((t) => new Date(t.intervalStart)), claimant],
    );
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

  /**
   * One page of a region's tariffs, newest first (as Octopus Energy's API orders unit rates),
   * with how many the range holds. Offset pages: the shape Octopus clients follow.
   */
  async tariffsNewestFirst(regionId: string, from: number, to: number, limit: number, offset: number): Promise<{ count: number; tariffs: Tariff[] }> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT *, count(*) OVER () AS total FROM tariffs
        WHERE region_id = $1 AND interval_end > $2 AND interval_start < $3
        ORDER BY interval_start DESC LIMIT $4 OFFSET $5`,
      [regionId, new Date(from), new Date(to), limit, offset],
    );
    if (rows.length > 0) return { count: Number(rows[0].total), tariffs: rows.map(toTariff) };
    if (offset === 0) return { count: 0, tariffs: [] };
    // Past the last page: the total still says how many there are.
    const [{ total }] = await this.dataSource.query(
      `SELECT count(*) AS total FROM tariffs WHERE region_id = $1 AND interval_end > $2 AND interval_start < $3`,
      [regionId, new Date(from), new Date(to)],
    );
    return { count: Number(total), tariffs: [] };
  }

  /** The firm price of the interval that contains `atMs`, if one was announced. */
  async tariffAt(regionId: string, atMs: number): Promise<Tariff | null> {
    const rows = await this.dataSource.query(
      `SELECT * FROM tariffs WHERE region_id = $1 AND valid_from <= $2 AND valid_to > $2 ORDER BY interval_start DESC LIMIT 1`,
      [regionId, new Date(atMs)],
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

  /**
   * Mean consumption per household and interval, by the firm price level of the interval and
   * by side: the `control` cohort against every other meter of the region (the treatment).
   */
  async usageByLevel(regionId: string, from: number, to: number, control: string): Promise<{ level: number; control: boolean; meters: number; meterIntervals: number; meanWh: number }[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT t.level, (m.cohort IS NOT DISTINCT FROM $4) AS control, count(DISTINCT mi.meter_id)::int AS meters, count(*)::int AS n, avg(mi.consumption_wh)::float AS mean_wh
         FROM meter_intervals mi
         JOIN meters m ON m.id = mi.meter_id
         JOIN tariffs t ON t.region_id = m.region_id AND t.interval_start = mi.interval_start
        WHERE m.region_id = $1 AND mi.interval_start >= $2 AND mi.interval_start < $3 AND m.kind = 'meter'
        GROUP BY t.level, 2 ORDER BY t.level, 2`,
      [regionId, new Date(from), new Date(to), control],
    );
    return rows.map((r) => ({ level: Number(r.level), control: r.control as boolean, meters: r.meters as number, meterIntervals: r.n as number, meanWh: Math.round(Number(r.mean_wh) * 1000) / 1000 }));
  }

  /** The trail of late-data revisions of a region's intervals. */
  async listRevisions(regionId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<AggregateRevision>> {
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
