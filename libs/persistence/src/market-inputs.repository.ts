import type { DataSource } from 'typeorm';
import type { Page, PeakEvent, TariffRef } from '@wattline/domain';
import { rangePage } from './cursor';
import { moneyText, time, type Row } from './rows';
import type { Sql } from './sql';

export interface ScheduledPrice {
  intervalStart: number;
  price: string;
  band: string | null;
}

function toEvent(r: Row): PeakEvent {
  return {
    id: r.id as string,
    regionId: r.region_id as string,
    start: time(r.starts_at),
    end: time(r.ends_at),
    level: Number(r.level) as 4 | 5,
    reason: r.reason as string,
    declaredAt: time(r.declared_at),
  };
}

/** Rows per upload statement: three arrays of this many through unnest. */
const UPLOAD_CHUNK = 5000;

/**
 * What pricing takes from outside: `wholesale_prices` (wholesale-indexed models), `scheduled_prices`
 * (an imported schedule applied as it is) and `peak_events` (critical-peak events declared by
 * an operator). The only SQL on these tables.
 */
export class MarketInputsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async wholesaleBetween(regionId: string, from: number, to: number): Promise<Map<number, string>> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT interval_start, price FROM wholesale_prices WHERE region_id = $1 AND interval_start >= $2 AND interval_start < $3`,
      [regionId, new Date(from), new Date(to)],
    );
    return new Map(rows.map((r) => [time(r.interval_start), moneyText(r.price)]));
  }

  /** A tariff's imported schedule over [from, to). */
  async scheduledBetween(ref: TariffRef, from: number, to: number): Promise<Map<number, ScheduledPrice>> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT interval_start, price, band FROM scheduled_prices WHERE region_id = $1 AND tariff = $4 AND interval_start >= $2 AND interval_start < $3`,
      [ref.regionId, new Date(from), new Date(to), ref.tariff],
    );
    return new Map(
      rows.map((r) => [
        time(r.interval_start),
        { intervalStart: time(r.interval_start), price: moneyText(r.price), band: (r.band as string | null) ?? null },
      ]),
    );
  }

  /**
   * Stores uploaded prices per interval (a region's wholesale prices, or one tariff's imported
   * schedule); a later upload replaces an interval's price.
   */
  async upsertPrices(
    upload: { table: 'wholesale'; regionId: string } | { table: 'scheduled'; regionId: string; tariff: string },
    rows: { intervalStart: number; price: string; band?: string | null }[],
    nowMs: number,
  ): Promise<number> {
    const scheduled = upload.table === 'scheduled';
    let stored = 0;
    for (let i = 0; i < rows.length; i += UPLOAD_CHUNK) {
      const chunk = rows.slice(i, i + UPLOAD_CHUNK);
      await this.dataSource.query(
        scheduled
          ? `INSERT INTO scheduled_prices (region_id, tariff, interval_start, price, band, uploaded_at)
             SELECT $1, $6, u.s, u.p, u.b, $5 FROM unnest($2::timestamptz[], $3::numeric[], $4::text[]) AS u(s, p, b)
             ON CONFLICT (region_id, tariff, interval_start) DO UPDATE SET price = EXCLUDED.price, band = EXCLUDED.band, uploaded_at = EXCLUDED.uploaded_at`
          : `INSERT INTO wholesale_prices (region_id, interval_start, price, uploaded_at)
             SELECT $1, u.s, u.p, $5 FROM unnest($2::timestamptz[], $3::numeric[], $4::text[]) AS u(s, p, b)
             ON CONFLICT (region_id, interval_start) DO UPDATE SET price = EXCLUDED.price, uploaded_at = EXCLUDED.uploaded_at`,
        [
          upload.regionId,
          chunk.map((r) => new Date(r.intervalStart)),
          chunk.map((r) => r.price),
          chunk.map((r) => r.band ?? null),
          new Date(nowMs),
          ...(scheduled ? [upload.tariff] : []),
        ],
      );
      stored += chunk.length;
    }
    return stored;
  }

  async eventsOverlapping(regionId: string, from: number, to: number): Promise<PeakEvent[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM peak_events WHERE region_id = $1 AND starts_at < $3 AND ends_at > $2 ORDER BY starts_at`,
      [regionId, new Date(from), new Date(to)],
    );
    return rows.map(toEvent);
  }

  /** Events of a region starting in [from, to) (a year's budget is counted on it; run under the region's lock to count and insert as one). */
  async countEventsStarting(regionId: string, from: number, to: number, sql: Sql = this.dataSource): Promise<number> {
    const [{ used }] = await sql.query(
      `SELECT count(*)::int AS used FROM peak_events WHERE region_id = $1 AND starts_at >= $2 AND starts_at < $3`,
      [regionId, new Date(from), new Date(to)],
    );
    return used as number;
  }

  async insertEvent(event: PeakEvent, sql: Sql = this.dataSource): Promise<void> {
    await sql.query(
      `INSERT INTO peak_events (id, region_id, starts_at, ends_at, level, reason, declared_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [event.id, event.regionId, new Date(event.start), new Date(event.end), event.level, event.reason, new Date(event.declaredAt)],
    );
  }

  eventsPage(regionId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<PeakEvent>> {
    return rangePage(
      this.dataSource,
      { from: '* FROM peak_events', owner: ['region_id', regionId], time: 'starts_at', range: { from, to }, limit, cursor },
      toEvent,
      (e) => e.start,
    );
  }
}
