import type { DataSource } from 'typeorm';
import type { AnnouncementRecord } from '@wattline/contracts';
import type { OutboxRepository } from './outbox';
import { returnedRows, type Row } from './rows';
import type { Sql } from './sql';

/** An announcement before the outbox gives it its `seq`. */
export type Announcement = AnnouncementRecord extends infer A ? (A extends AnnouncementRecord ? Omit<A, 'seq'> : never) : never;

function toAnnouncement(r: Row): AnnouncementRecord {
  const base = { seq: Number(r.seq), regionId: r.region_id as string };
  if (r.kind === 'household')
    return {
      ...base,
      kind: 'household',
      meterId: r.meter_id as string,
      payload: r.payload as Extract<AnnouncementRecord, { kind: 'household' }>['payload'],
    };
  const prices = r.tariff ? { ...base, tariff: r.tariff as string } : base;
  if (r.kind === 'forecast')
    return { ...prices, kind: 'forecast', payload: r.payload as Extract<AnnouncementRecord, { kind: 'forecast' }>['payload'] };
  return { ...prices, kind: 'current', payload: r.payload as Extract<AnnouncementRecord, { kind: 'current' }>['payload'] };
}

/**
 * The `price_announcements` table: what displays must hold on their retained topics (the price
 * in force, the schedule, each household's summary), written with the change that caused it
 * and drained to `price.announcements` (an outbox). The only SQL on it.
 */
export class AnnouncementsRepository implements OutboxRepository<AnnouncementRecord> {
  constructor(private readonly dataSource: DataSource) {}

  async insert(a: Announcement, nowMs: number, sql: Sql = this.dataSource): Promise<void> {
    await sql.query(
      `INSERT INTO price_announcements (region_id, tariff, kind, meter_id, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        a.regionId,
        a.kind === 'household' ? null : (a.tariff ?? null),
        a.kind,
        a.kind === 'household' ? a.meterId : null,
        JSON.stringify(a.payload),
        new Date(nowMs),
      ],
    );
  }

  /** Household summaries, in one statement (no transaction needed). */
  async insertHouseholds(announcements: Extract<Announcement, { kind: 'household' }>[], nowMs: number): Promise<void> {
    if (announcements.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO price_announcements (region_id, kind, meter_id, payload, created_at)
       SELECT u.r, 'household', u.m, u.p::jsonb, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS u(r, m, p)`,
      [
        announcements.map((a) => a.regionId),
        announcements.map((a) => a.meterId),
        announcements.map((a) => JSON.stringify(a.payload)),
        new Date(nowMs),
      ],
    );
  }

  /** The newest announcement of a kind for a region's default tariff (or another `tariff`): what its displays have retained. */
  async latest(regionId: string, kind: AnnouncementRecord['kind'], tariff?: string): Promise<AnnouncementRecord | null> {
    const rows: Row[] = await this.dataSource.query(
      tariff
        ? `SELECT * FROM price_announcements WHERE region_id = $1 AND tariff = $3 AND kind = $2 ORDER BY seq DESC LIMIT 1`
        : `SELECT * FROM price_announcements WHERE region_id = $1 AND tariff IS NULL AND kind = $2 ORDER BY seq DESC LIMIT 1`,
      tariff ? [regionId, kind, tariff] : [regionId, kind],
    );
    return rows.length === 0 ? null : toAnnouncement(rows[0]);
  }

  /**
   * What the retained topics must hold, newest per topic: each tariff's `current` and `forecast`
   * of each region, and each household's summary, households a page at a time (by meter id,
   * after `afterMeterId`). By index: one probe per tariff and kind, one per household
   * (migrations 1763870000000, 1763890000000).
   */
  async latestRegionAnnouncements(): Promise<AnnouncementRecord[]> {
    const rows: Row[] = await this.dataSource.query(
      `WITH t AS (SELECT DISTINCT p.region_id, nullif(p.tariff, r.default_tariff) AS tariff
                    FROM region_pricing p JOIN regions r ON r.id = p.region_id)
       SELECT a.* FROM t CROSS JOIN (VALUES ('current'), ('forecast')) AS k(kind)
         CROSS JOIN LATERAL (SELECT * FROM price_announcements p WHERE p.region_id = t.region_id AND p.tariff IS NULL AND t.tariff IS NULL AND p.kind = k.kind
                              ORDER BY p.seq DESC LIMIT 1) a
       UNION ALL
       SELECT a.* FROM t CROSS JOIN (VALUES ('current'), ('forecast')) AS k(kind)
         CROSS JOIN LATERAL (SELECT * FROM price_announcements p WHERE p.region_id = t.region_id AND p.tariff = t.tariff AND p.kind = k.kind
                              ORDER BY p.seq DESC LIMIT 1) a`,
    );
    return rows.map(toAnnouncement);
  }

  async latestHouseholdAnnouncements(
    afterMeterId: string,
    limit: number,
  ): Promise<{ items: AnnouncementRecord[]; lastMeterId: string | null }> {
    const meters: Row[] = await this.dataSource.query(`SELECT id FROM meters WHERE id > $1 ORDER BY id LIMIT $2`, [afterMeterId, limit]);
    if (meters.length === 0) return { items: [], lastMeterId: null };
    const rows: Row[] = await this.dataSource.query(
      `SELECT a.* FROM unnest($1::text[]) AS m(id)
         CROSS JOIN LATERAL (SELECT * FROM price_announcements p WHERE p.meter_id = m.id AND p.kind = 'household' ORDER BY p.seq DESC LIMIT 1) a`,
      [meters.map((m) => m.id)],
    );
    return { items: rows.map(toAnnouncement), lastMeterId: meters[meters.length - 1].id as string };
  }

  async claim(claimant: string, nowMs: number, leaseMs: number, limit = 1000): Promise<AnnouncementRecord[]> {
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

  async markPublished(announcements: Pick<AnnouncementRecord, 'seq'>[], claimant: string, nowMs: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE price_announcements SET published_at = $3, claimed_until = NULL WHERE seq = ANY($1::bigint[]) AND claimed_by = $2 AND published_at IS NULL`,
      [announcements.map((a) => a.seq), claimant, new Date(nowMs)],
    );
  }

  async release(announcements: Pick<AnnouncementRecord, 'seq'>[], claimant: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE price_announcements SET claimed_by = NULL, claimed_until = NULL WHERE seq = ANY($1::bigint[]) AND claimed_by = $2 AND published_at IS NULL`,
      [announcements.map((a) => a.seq), claimant],
    );
  }
}
