import type { DataSource } from 'typeorm';
import type { IntervalForecast, Page } from '@wattline/domain';
import { rangePage } from './cursor';
import { time, type Row } from './rows';
import type { Sql } from './sql';

/** A forecast as stored, with the end of its interval. */
export type StoredForecast = IntervalForecast & { intervalEnd: number };

export interface ForecastVersusActual {
  intervalStart: number;
  intervalEnd: number;
  forecastDemandWh: number;
  forecastSupplyWh: number;
  method: string;
  madeAt: number;
  actualDemandWh: number | null;
  actualSupplyWh: number | null;
  closed: boolean;
}

function toForecastVersusActual(r: Row): ForecastVersusActual {
  return {
    intervalStart: time(r.interval_start),
    intervalEnd: time(r.interval_end),
    forecastDemandWh: Number(r.demand_wh),
    forecastSupplyWh: Number(r.supply_wh),
    method: r.method as string,
    madeAt: time(r.made_at),
    actualDemandWh: r.actual_demand_wh === null ? null : Number(r.actual_demand_wh),
    actualSupplyWh: r.actual_supply_wh === null ? null : Number(r.actual_supply_wh),
    closed: r.closed_at !== null && r.closed_at !== undefined,
  };
}

/** `interval_forecasts`: the forecast each price was computed from, kept once per interval. The only SQL on it. */
export class ForecastsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(regionId: string, forecasts: StoredForecast[], nowMs: number, sql: Sql = this.dataSource): Promise<void> {
    if (forecasts.length === 0) return;
    await sql.query(
      `INSERT INTO interval_forecasts (region_id, interval_start, interval_end, demand_wh, supply_wh, method, samples, made_at)
       SELECT $1, u.s, u.e, u.d, u.g, u.m, u.n, $8 FROM unnest($2::timestamptz[], $3::timestamptz[], $4::numeric[], $5::numeric[], $6::text[], $7::int[]) AS u(s, e, d, g, m, n)
       ON CONFLICT (region_id, interval_start) DO NOTHING`,
      [
        regionId,
        forecasts.map((f) => new Date(f.intervalStart)),
        forecasts.map((f) => new Date(f.intervalEnd)),
        forecasts.map((f) => f.demandWh),
        forecasts.map((f) => f.supplyWh),
        forecasts.map((f) => f.method),
        forecasts.map((f) => f.samples),
        new Date(nowMs),
      ],
    );
  }

  async at(regionId: string, intervalStart: number): Promise<{ demandWh: number; supplyWh: number } | null> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT demand_wh, supply_wh FROM interval_forecasts WHERE region_id = $1 AND interval_start = $2`,
      [regionId, new Date(intervalStart)],
    );
    return rows.length === 0 ? null : { demandWh: Number(rows[0].demand_wh), supplyWh: Number(rows[0].supply_wh) };
  }

  /** Forecasts beside what was measured, for analysts. */
  versusActual(regionId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<ForecastVersusActual>> {
    return rangePage(
      this.dataSource,
      {
        from: `f.interval_start, f.interval_end, f.demand_wh, f.supply_wh, f.method, f.made_at, a.demand_wh AS actual_demand_wh, a.supply_wh AS actual_supply_wh, a.closed_at
                 FROM interval_forecasts f LEFT JOIN interval_aggregates a ON a.region_id = f.region_id AND a.interval_start = f.interval_start`,
        owner: ['f.region_id', regionId],
        time: 'f.interval_start',
        range: { from, to },
        limit,
        cursor,
      },
      toForecastVersusActual,
      (f) => f.intervalStart,
    );
  }
}
