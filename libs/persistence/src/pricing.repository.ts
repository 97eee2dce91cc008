import type { DataSource } from 'typeorm';
import type { FirmPrice, IntervalActual, IntervalForecast, Page, PeakEvent, PricingModel, PricingVersion, Tariff } from '@wattline/domain';
import type { AnnouncementRecord } from '@wattline/contracts';
import { decodeCursor, pageOf } from './cursor';
import { moneyText, toTariff } from './intervals.repository';
import { returnedRows } from './returned-rows';

type Row = Record<string, unknown>;
const time = (v: unknown) => (v as Date).getTime();
const maybeTime = (v: unknown) => (v === null || v === undefined ? null : time(v));

/** A region's clocks and where its pricing has got to. */
export interface RegionPricingState {
  regionId: string;
  timezone: string;
  /** Event time: the latest reading time seen (null before the first reading). */
  watermark: number | null;
  lastArrivalAt: number | null;
  /** The next local day the day-ahead schedule has to price (null until the region has event time). */
  nextDayStart: number | null;
  /** The interval `prices/{region}/current` announces now, and on what basis. */
  currentStart: number | null;
  currentBasis: string | null;
  currentVersion: number | null;
  /** The region's earliest measured interval (read only while it has no day scheduled yet). */
  firstIntervalStart: number | null;
}

export interface ScheduledPrice {
  intervalStart: number;
  price: string;
  band: string | null;
}

export type Announcement = AnnouncementRecord extends infer A ? (A extends AnnouncementRecord ? Omit<A, 'seq'> : never) : never;

/** A forecast as stored, with the end of its interval. */
export type StoredForecast = IntervalForecast & { intervalEnd: number };

const TARIFF_COLUMNS = `region_id, interval_start, interval_end, valid_from, valid_to, price, price_ex_tax, tax, currency, level, firm, basis,
  forecast_demand_wh, forecast_supply_wh, model, model_version, feed_in_price, explanation, computed_at`;

const TARIFF_WIDTH = TARIFF_COLUMNS.split(',').length;

function tariffValues(p: FirmPrice, nowMs: number): unknown[] {
  return [
    p.regionId, new Date(p.intervalStart), new Date(p.intervalEnd), new Date(p.validFrom), new Date(p.validTo), p.price, p.priceExTax, p.tax, p.currency, p.level, p.firm, p.basis,
    p.forecastDemandWh, p.forecastSupplyWh, p.model, p.modelVersion, p.feedInPrice, JSON.stringify(p.explanation), new Date(nowMs),
  ];
}

/**
 * What ex-ante pricing reads and writes: pricing versions, the day-ahead state of each region,
 * forecasts, events, wholesale and imported prices, firm prices and the announcement outbox.
 * SQL only; every multi-statement write is one transaction with no other I/O in it.
 */
export class PricingRepository {
  constructor(private readonly dataSource: DataSource) {}

  async regionStates(): Promise<RegionPricingState[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT r.id, r.timezone, w.watermark, w.last_arrival_at, s.next_day_start, s.current_start, s.current_basis, s.current_version,
              CASE WHEN s.next_day_start IS NULL THEN (SELECT min(a.interval_start) FROM interval_aggregates a WHERE a.region_id = r.id) END AS first_interval
         FROM regions r LEFT JOIN region_watermarks w ON w.region_id = r.id LEFT JOIN region_schedule_state s ON s.region_id = r.id
        ORDER BY r.id`,
    );
    return rows.map((r) => ({
      regionId: r.id as string,
      timezone: r.timezone as string,
      watermark: maybeTime(r.watermark),
      lastArrivalAt: maybeTime(r.last_arrival_at),
      nextDayStart: maybeTime(r.next_day_start),
      currentStart: maybeTime(r.current_start),
      currentBasis: (r.current_basis as string | null) ?? null,
      currentVersion: (r.current_version as number | null) ?? null,
      firstIntervalStart: maybeTime(r.first_interval),
    }));
  }

  /** The newest announcement of a kind for a region: what its displays have retained. */
  async latestAnnouncement(regionId: string, kind: AnnouncementRecord['kind']): Promise<AnnouncementRecord | null> {
    const rows: Row[] = await this.dataSource.query(`SELECT * FROM price_announcements WHERE region_id = $1 AND kind = $2 ORDER BY seq DESC LIMIT 1`, [regionId, kind]);
    return rows.length === 0 ? null : toAnnouncement(rows[0]);
  }

  /** A region's firm price for the interval starting at `intervalStart`, with its explanation. */
  async tariffStarting(regionId: string, intervalStart: number): Promise<Tariff | null> {
    const rows: Row[] = await this.dataSource.query(`SELECT * FROM tariffs WHERE region_id = $1 AND interval_start = $2`, [regionId, new Date(intervalStart)]);
    return rows.length === 0 ? null : toTariff(rows[0]);
  }

  /** Every version of a region's pricing, oldest first. */
  async pricingVersions(regionId: string): Promise<PricingVersion[]> {
    const rows: Row[] = await this.dataSource.query(`SELECT * FROM region_pricing WHERE region_id = $1 ORDER BY version`, [regionId]);
    return rows.map((r) => toPricingVersion(regionId, r));
  }

  /** A page of them, after the version a cursor carries. */
  async pricingVersionsPage(regionId: string, limit: number, cursor?: string): Promise<Page<PricingVersion>> {
    const after = decodeCursor<number>(cursor, 'number') ?? 0;
    const rows: Row[] = await this.dataSource.query(`SELECT * FROM region_pricing WHERE region_id = $1 AND version > $2 ORDER BY version LIMIT $3`, [regionId, after, limit + 1]);
    return pageOf(rows.map((r) => toPricingVersion(regionId, r)), limit, (v) => v.version);
  }

  /**
   * Adds a pricing version effective from `effectiveFrom`, unless a firm price already announced
   * ends after it (a change is never retroactive to a published price): then nothing is written
   * and the earliest allowed time is returned.
   */
  async addPricingVersion(regionId: string, pricing: PricingModel, effectiveFrom: number, nowMs: number): Promise<{ ok: true; version: PricingVersion } | { ok: false; earliest: number }> {
    return this.dataSource.transaction(async (tx) => {
      await tx.query(`SELECT 1 FROM regions WHERE id = $1 FOR UPDATE`, [regionId]);
      const [{ announced_to: announcedTo }] = await tx.query(`SELECT max(valid_to) AS announced_to FROM tariffs WHERE region_id = $1`, [regionId]);
      if (announcedTo !== null && time(announcedTo) > effectiveFrom) return { ok: false as const, earliest: time(announcedTo) };
      const [row] = await tx.query(
        `INSERT INTO region_pricing (region_id, version, effective_from, pricing, created_at)
         SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4 FROM region_pricing WHERE region_id = $1 RETURNING *`,
        [regionId, new Date(effectiveFrom), JSON.stringify(pricing), new Date(nowMs)],
      );
      await tx.query(`UPDATE regions SET pricing = $2 WHERE id = $1`, [regionId, JSON.stringify(pricing)]);
      return { ok: true as const, version: { regionId, version: row.version, effectiveFrom: time(row.effective_from), pricing: row.pricing, createdAt: time(row.created_at) } };
    });
  }

  /** Gives a region its state row, with the first day to schedule once it has event time. */
  async initState(regionId: string, nextDayStart: number | null): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO region_schedule_state (region_id, next_day_start) VALUES ($1, $2)
       ON CONFLICT (region_id) DO UPDATE SET next_day_start = EXCLUDED.next_day_start WHERE region_schedule_state.next_day_start IS NULL`,
      [regionId, nextDayStart === null ? null : new Date(nextDayStart)],
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
    const rows: Row[] = await this.dataSource.query(`SELECT interval_start, demand_wh, supply_wh FROM interval_aggregates WHERE region_id = $1 AND interval_start = $2`, [regionId, new Date(intervalStart)]);
    return rows.length === 0 ? null : { intervalStart: time(rows[0].interval_start), demandWh: Number(rows[0].demand_wh), supplyWh: Number(rows[0].supply_wh) };
  }

  async forecastAt(regionId: string, intervalStart: number): Promise<{ demandWh: number; supplyWh: number } | null> {
    const rows: Row[] = await this.dataSource.query(`SELECT demand_wh, supply_wh FROM interval_forecasts WHERE region_id = $1 AND interval_start = $2`, [regionId, new Date(intervalStart)]);
    return rows.length === 0 ? null : { demandWh: Number(rows[0].demand_wh), supplyWh: Number(rows[0].supply_wh) };
  }

  async wholesaleBetween(regionId: string, from: number, to: number): Promise<Map<number, string>> {
    const rows: Row[] = await this.dataSource.query(`SELECT interval_start, price FROM wholesale_prices WHERE region_id = $1 AND interval_start >= $2 AND interval_start < $3`, [regionId, new Date(from), new Date(to)]);
    return new Map(rows.map((r) => [time(r.interval_start), moneyText(r.price)]));
  }

  async scheduledBetween(regionId: string, from: number, to: number): Promise<Map<number, ScheduledPrice>> {
    const rows: Row[] = await this.dataSource.query(`SELECT interval_start, price, band FROM scheduled_prices WHERE region_id = $1 AND interval_start >= $2 AND interval_start < $3`, [regionId, new Date(from), new Date(to)]);
    return new Map(rows.map((r) => [time(r.interval_start), { intervalStart: time(r.interval_start), price: moneyText(r.price), band: (r.band as string | null) ?? null }]));
  }

  async eventsOverlapping(regionId: string, from: number, to: number): Promise<PeakEvent[]> {
    const rows: Row[] = await this.dataSource.query(`SELECT * FROM peak_events WHERE region_id = $1 AND starts_at < $3 AND ends_at > $2 ORDER BY starts_at`, [regionId, new Date(from), new Date(to)]);
    return rows.map(toEvent);
  }

  /** The firm price before tax of the interval ending at `intervalStart` (for the ramp limit). */
  async priceBefore(regionId: string, intervalStart: number): Promise<string | null> {
    const rows: Row[] = await this.dataSource.query(`SELECT price_ex_tax FROM tariffs WHERE region_id = $1 AND valid_to = $2`, [regionId, new Date(intervalStart)]);
    return rows.length === 0 ? null : moneyText(rows[0].price_ex_tax);
  }

  /** Firm prices of a region from `from` on (what the forecast topic announces). */
  async firmFrom(regionId: string, from: number, limit = 5000): Promise<Tariff[]> {
    const rows: Row[] = await this.dataSource.query(`SELECT * FROM tariffs WHERE region_id = $1 AND valid_to > $2 ORDER BY interval_start LIMIT $3`, [regionId, new Date(from), limit]);
    return rows.map(toTariff);
  }

  /**
   * Stores a day's schedule as firm, once: the region's next day moves from `dayStart` to
   * `nextDayStart` only if it is still `dayStart` (another replica that got there first wins;
   * this writes nothing and returns false). Prices, forecasts and the announcement commit together.
   */
  async commitDay(
    regionId: string,
    dayStart: number,
    nextDayStart: number,
    prices: FirmPrice[],
    forecasts: StoredForecast[],
    nowMs: number,
    announcement: Announcement | null,
  ): Promise<Tariff[] | null> {
    return this.dataSource.transaction(async (tx) => {
      const moved = returnedRows<Row>(
        await tx.query(`UPDATE region_schedule_state SET next_day_start = $3 WHERE region_id = $1 AND next_day_start = $2 RETURNING 1`, [regionId, new Date(dayStart), new Date(nextDayStart)]),
      );
      if (moved.length === 0) return null;
      await this.insertForecasts(tx, regionId, forecasts, nowMs);
      const stored: Tariff[] = [];
      for (let i = 0; i < prices.length; i += 100) {
        const chunk = prices.slice(i, i + 100);
        const width = TARIFF_WIDTH;
        const rows: Row[] = await tx.query(
          `INSERT INTO tariffs (${TARIFF_COLUMNS}) VALUES ${chunk.map((_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`).join(', ')}
           ON CONFLICT (region_id, interval_start) DO NOTHING RETURNING *`,
          chunk.flatMap((p) => tariffValues(p, nowMs)),
        );
        stored.push(...rows.map(toTariff));
      }
      if (announcement) await this.insertAnnouncement(tx, announcement, nowMs);
      return stored;
    });
  }

  /** Stores one intraday price (once) with its forecast and the forecast announcement. */
  async commitIntraday(price: FirmPrice, forecast: StoredForecast | null, nowMs: number, announcement: Announcement): Promise<Tariff | null> {
    return this.dataSource.transaction(async (tx) => {
      const rows: Row[] = await tx.query(`INSERT INTO tariffs (${TARIFF_COLUMNS}) VALUES (${tariffValues(price, nowMs).map((_, i) => `$${i + 1}`).join(', ')}) ON CONFLICT (region_id, interval_start) DO NOTHING RETURNING *`, tariffValues(price, nowMs));
      if (rows.length === 0) return null;
      if (forecast) await this.insertForecasts(tx, price.regionId, [forecast], nowMs);
      await this.insertAnnouncement(tx, announcement, nowMs);
      return toTariff(rows[0]);
    });
  }

  /**
   * Moves `prices/{region}/current` to a new interval or basis, once: only if the region still
   * announces what the caller saw. The announcement commits with the move.
   */
  async moveCurrent(regionId: string, seen: { start: number | null; basis: string | null; version: number | null }, next: { start: number; basis: string; version: number }, announcement: Announcement, nowMs: number): Promise<boolean> {
    return this.dataSource.transaction(async (tx) => {
      const moved = returnedRows<Row>(
        await tx.query(
          `UPDATE region_schedule_state SET current_start = $5, current_basis = $6, current_version = $7
            WHERE region_id = $1 AND current_start IS NOT DISTINCT FROM $2 AND current_basis IS NOT DISTINCT FROM $3 AND current_version IS NOT DISTINCT FROM $4 RETURNING 1`,
          [regionId, seen.start === null ? null : new Date(seen.start), seen.basis, seen.version, new Date(next.start), next.basis, next.version],
        ),
      );
      if (moved.length === 0) return false;
      await this.insertAnnouncement(tx, announcement, nowMs);
      return true;
    });
  }

  async claimAnnouncements(claimant: string, nowMs: number, leaseMs: number, limit = 1000): Promise<AnnouncementRecord[]> {
    const rows = returnedRows<Row>(
      await this.dataSource.query(
        `UPDATE price_announcements a SET claimed_by = $1, claimed_until = $3
           FROM (SELECT seq FROM price_announcements
                  WHERE published_at IS NULL AND (claimed_until IS NULL OR claimed_until < $2)
                  ORDER BY seq LIMIT $4 FOR UPDATE SKIP LOCKED) c
          WHERE a.seq = c.seq RETURNING a.*`,
        [claimant, new Date(nowMs), new Date(nowMs + leaseMs), limit],
      ),
    );
    return rows.map(toAnnouncement).sort((a, b) => a.seq - b.seq);
  }

  async markAnnouncementsPublished(seqs: number[], claimant: string, nowMs: number): Promise<void> {
    await this.dataSource.query(`UPDATE price_announcements SET published_at = $3, claimed_until = NULL WHERE seq = ANY($1::bigint[]) AND claimed_by = $2 AND published_at IS NULL`, [seqs, claimant, new Date(nowMs)]);
  }

  async releaseAnnouncementClaims(seqs: number[], claimant: string): Promise<void> {
    await this.dataSource.query(`UPDATE price_announcements SET claimed_by = NULL, claimed_until = NULL WHERE seq = ANY($1::bigint[]) AND claimed_by = $2 AND published_at IS NULL`, [seqs, claimant]);
  }

  /**
   * Declares an event unless the region's year (`yearFrom`..`yearTo`) already holds `budget`
   * events; serialised per region so two declarations cannot both take the last one.
   */
  async declareEvent(event: PeakEvent, yearFrom: number, yearTo: number, budget: number): Promise<{ ok: true } | { ok: false; used: number }> {
    return this.dataSource.transaction(async (tx) => {
      await tx.query(`SELECT 1 FROM regions WHERE id = $1 FOR UPDATE`, [event.regionId]);
      const [{ used }] = await tx.query(`SELECT count(*)::int AS used FROM peak_events WHERE region_id = $1 AND starts_at >= $2 AND starts_at < $3`, [event.regionId, new Date(yearFrom), new Date(yearTo)]);
      if (used >= budget) return { ok: false as const, used };
      await tx.query(`INSERT INTO peak_events (id, region_id, starts_at, ends_at, level, reason, declared_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
        event.id, event.regionId, new Date(event.start), new Date(event.end), event.level, event.reason, new Date(event.declaredAt),
      ]);
      return { ok: true as const };
    });
  }

  async listEvents(regionId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<PeakEvent>> {
    const after = decodeCursor<number>(cursor, 'number');
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM peak_events WHERE region_id = $1 AND starts_at >= $2 AND starts_at < $3 AND ($4::timestamptz IS NULL OR starts_at > $4) ORDER BY starts_at LIMIT $5`,
      [regionId, new Date(from), new Date(to), after === null ? null : new Date(after), limit + 1],
    );
    return pageOf(rows.map(toEvent), limit, (e) => e.start);
  }

  /** Stores uploaded prices per interval (wholesale or an imported schedule); a later upload replaces an interval's price. */
  async upsertPrices(table: 'wholesale' | 'scheduled', regionId: string, rows: { intervalStart: number; price: string; band?: string | null }[], nowMs: number): Promise<number> {
    const name = table === 'wholesale' ? 'wholesale_prices' : 'scheduled_prices';
    const band = table === 'scheduled' ? ', band' : '';
    let stored = 0;
    for (let i = 0; i < rows.length; i += 5000) {
      const chunk = rows.slice(i, i + 5000);
      await this.dataSource.query(
        `INSERT INTO ${name} (region_id, interval_start, price${band}, uploaded_at)
         SELECT $1, u.s, u.p${table === 'scheduled' ? ', u.b' : ''}, $5 FROM unnest($2::timestamptz[], $3::numeric[], $4::text[]) AS u(s, p, b)
         ON CONFLICT (region_id, interval_start) DO UPDATE SET price = EXCLUDED.price${table === 'scheduled' ? ', band = EXCLUDED.band' : ''}, uploaded_at = EXCLUDED.uploaded_at`,
        [regionId, chunk.map((r) => new Date(r.intervalStart)), chunk.map((r) => r.price), chunk.map((r) => r.band ?? null), new Date(nowMs)],
      );
      stored += chunk.length;
    }
    return stored;
  }

  /** Forecasts beside what was measured, for analysts. */
  async forecastVersusActual(regionId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<ForecastVersusActual>> {
    const after = decodeCursor<number>(cursor, 'number');
    const rows: Row[] = await this.dataSource.query(
      `SELECT f.interval_start, f.interval_end, f.demand_wh, f.supply_wh, f.method, f.made_at, a.demand_wh AS actual_demand_wh, a.supply_wh AS actual_supply_wh, a.closed_at
         FROM interval_forecasts f LEFT JOIN interval_aggregates a ON a.region_id = f.region_id AND a.interval_start = f.interval_start
        WHERE f.region_id = $1 AND f.interval_start >= $2 AND f.interval_start < $3 AND ($4::timestamptz IS NULL OR f.interval_start > $4)
        ORDER BY f.interval_start LIMIT $5`,
      [regionId, new Date(from), new Date(to), after === null ? null : new Date(after), limit + 1],
    );
    const items = rows.map((r) => ({
      intervalStart: time(r.interval_start),
      intervalEnd: time(r.interval_end),
      forecastDemandWh: Number(r.demand_wh),
      forecastSupplyWh: Number(r.supply_wh),
      method: r.method as string,
      madeAt: time(r.made_at),
      actualDemandWh: r.actual_demand_wh === null ? null : Number(r.actual_demand_wh),
      actualSupplyWh: r.actual_supply_wh === null ? null : Number(r.actual_supply_wh),
      closed: r.closed_at !== null && r.closed_at !== undefined,
    }));
    return pageOf(items, limit, (f) => f.intervalStart);
  }

  private async insertForecasts(tx: { query: (sql: string, params?: unknown[]) => Promise<unknown> }, regionId: string, forecasts: StoredForecast[], nowMs: number): Promise<void> {
    if (forecasts.length === 0) return;
    await tx.query(
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

  private async insertAnnouncement(tx: { query: (sql: string, params?: unknown[]) => Promise<unknown> }, a: Announcement, nowMs: number): Promise<void> {
    await tx.query(`INSERT INTO price_announcements (region_id, kind, meter_id, payload, created_at) VALUES ($1, $2, $3, $4, $5)`, [
      a.regionId, a.kind, a.kind === 'household' ? a.meterId : null, JSON.stringify(a.payload), new Date(nowMs),
    ]);
  }

  /** Household summaries for displays, written to the outbox in one statement (no transaction needed). */
  async announceHouseholds(announcements: Extract<Announcement, { kind: 'household' }>[], nowMs: number): Promise<void> {
    if (announcements.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO price_announcements (region_id, kind, meter_id, payload, created_at)
       SELECT u.r, 'household', u.m, u.p::jsonb, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS u(r, m, p)`,
      [announcements.map((a) => a.regionId), announcements.map((a) => a.meterId), announcements.map((a) => JSON.stringify(a.payload)), new Date(nowMs)],
    );
  }
}

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

function toAnnouncement(r: Row): AnnouncementRecord {
  const base = { seq: Number(r.seq), regionId: r.region_id as string };
  if (r.kind === 'household') return { ...base, kind: 'household', meterId: r.meter_id as string, payload: r.payload as Extract<AnnouncementRecord, { kind: 'household' }>['payload'] };
  if (r.kind === 'forecast') return { ...base, kind: 'forecast', payload: r.payload as Extract<AnnouncementRecord, { kind: 'forecast' }>['payload'] };
  return { ...base, kind: 'current', payload: r.payload as Extract<AnnouncementRecord, { kind: 'current' }>['payload'] };
}

function toEvent(r: Row): PeakEvent {
  return { id: r.id as string, regionId: r.region_id as string, start: time(r.starts_at), end: time(r.ends_at), level: Number(r.level) as 4 | 5, reason: r.reason as string, declaredAt: time(r.declared_at) };
}

function toPricingVersion(regionId: string, r: Row): PricingVersion {
  return { regionId, version: r.version as number, effectiveFrom: maybeTime(r.effective_from), pricing: r.pricing as PricingModel, createdAt: time(r.created_at) };
}
