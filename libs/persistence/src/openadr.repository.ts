import type { DataSource } from 'typeorm';
import type { PricingModel, TariffRef } from '@wattline/domain';
import type { Sql } from './sql';

export type OpenAdrRole = 'ven' | 'bl';

export interface OpenAdrClient {
  clientId: string;
  name: string;
  role: OpenAdrRole;
  secretHash: string;
  targets: string[];
  subscribeFilters: string[];
  tokenHash: string | null;
  tokenExpiresAt: number | null;
  revoked: boolean;
}

/** A tariff as an OpenADR program's source: its newest pricing, when its first and newest versions were made, its region's zone. */
export interface OpenAdrProgramRow {
  ref: TariffRef;
  timezone: string;
  pricing: PricingModel;
  createdAt: number;
  modifiedAt: number;
}

/** A tariff's local day with firm prices: an OpenADR event. */
export interface OpenAdrEventDay {
  ref: TariffRef;
  day: string;
  dayStart: number;
  dayEnd: number;
}

const time = (v: unknown) => new Date(v as string).getTime();

/** The VTN's clients (migration 1763910000000) and the programs and event days it reads from the pricing's own tables. */
export class OpenAdrRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** false when the name is taken (a VEN's name is unique within the VTN). */
  async createClient(
    client: Omit<OpenAdrClient, 'tokenHash' | 'tokenExpiresAt' | 'revoked'>,
    sql: Sql = this.dataSource,
  ): Promise<boolean> {
    const rows: unknown[] = await sql.query(
      `INSERT INTO openadr_clients (client_id, name, role, secret_hash, targets, subscribe_filters)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING RETURNING client_id`,
      [client.clientId, client.name, client.role, client.secretHash, client.targets, client.subscribeFilters],
    );
    return rows.length > 0;
  }

  async findClient(clientId: string): Promise<OpenAdrClient | null> {
    const [row]: Record<string, unknown>[] = await this.dataSource.query(`SELECT * FROM openadr_clients WHERE client_id = $1`, [clientId]);
    if (!row) return null;
    return {
      clientId: row.client_id as string,
      name: row.name as string,
      role: row.role as OpenAdrRole,
      secretHash: row.secret_hash as string,
      targets: row.targets as string[],
      subscribeFilters: row.subscribe_filters as string[],
      tokenHash: (row.token_hash as string | null) ?? null,
      tokenExpiresAt: row.token_expires_at === null ? null : time(row.token_expires_at),
      revoked: row.revoked_at !== null,
    };
  }

  /** The client's access token from now on (the one before stops working). */
  async setToken(clientId: string, tokenHash: string, expiresAt: number): Promise<void> {
    await this.dataSource.query(`UPDATE openadr_clients SET token_hash = $2, token_expires_at = $3 WHERE client_id = $1`, [
      clientId,
      tokenHash,
      new Date(expiresAt),
    ]);
  }

  /** Every tariff of every region (or the one named), as programs are made of them. */
  async programs(only?: TariffRef, sql: Sql = this.dataSource): Promise<OpenAdrProgramRow[]> {
    const rows: Record<string, unknown>[] = await sql.query(
      `SELECT rp.region_id, rp.tariff, r.timezone, min(rp.created_at) AS created, max(rp.created_at) AS modified,
              (array_agg(rp.pricing ORDER BY rp.version DESC))[1] AS pricing
         FROM region_pricing rp JOIN regions r ON r.id = rp.region_id
        WHERE $1::text IS NULL OR (rp.region_id = $1 AND rp.tariff = $2)
        GROUP BY rp.region_id, rp.tariff, r.timezone
        ORDER BY rp.region_id, rp.tariff`,
      [only?.regionId ?? null, only?.tariff ?? null],
    );
    return rows.map((r) => ({
      ref: { regionId: r.region_id as string, tariff: r.tariff as string },
      timezone: r.timezone as string,
      pricing: r.pricing as PricingModel,
      createdAt: time(r.created),
      modifiedAt: time(r.modified),
    }));
  }

  /**
   * The local days of these tariffs that have firm prices, oldest first, a page of them; with
   * `active`, only those not yet over in their region's time.
   */
  async eventDays(refs: TariffRef[], page: { skip: number; limit: number; active: boolean }): Promise<OpenAdrEventDay[]> {
    if (refs.length === 0) return [];
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `WITH days AS (
         SELECT DISTINCT t.region_id, t.tariff, (t.interval_start AT TIME ZONE r.timezone)::date AS day, r.timezone
           FROM tariffs t JOIN regions r ON r.id = t.region_id
          WHERE (t.region_id, t.tariff) IN (SELECT * FROM unnest($1::text[], $2::text[])))
       SELECT d.region_id, d.tariff, to_char(d.day, 'YYYY-MM-DD') AS day,
              (d.day::timestamp AT TIME ZONE d.timezone) AS day_start, ((d.day + 1)::timestamp AT TIME ZONE d.timezone) AS day_end
         FROM days d LEFT JOIN region_watermarks w ON w.region_id = d.region_id
        WHERE NOT $3 OR ((d.day + 1)::timestamp AT TIME ZONE d.timezone) > now() + coalesce(w.clock_lead_ms, 0) * interval '1 millisecond'
        ORDER BY d.day, d.region_id, d.tariff OFFSET $4 LIMIT $5`,
      [refs.map((r) => r.regionId), refs.map((r) => r.tariff), page.active, page.skip, page.limit],
    );
    return rows.map((r) => ({
      ref: { regionId: r.region_id as string, tariff: r.tariff as string },
      day: r.day as string,
      dayStart: time(r.day_start),
      dayEnd: time(r.day_end),
    }));
  }

  /** The ven objects of the VEN clients granted one of these targets (each is notified on its own topic). */
  async vensReading(targets: string[]): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT v.id FROM openadr_vens v JOIN openadr_clients c ON c.client_id = v.client_id
        WHERE c.role = 'ven' AND c.revoked_at IS NULL AND c.targets && $1::text[] ORDER BY v.id`,
      [targets],
    );
    return rows.map((r) => r.id);
  }

  /** The local days (of the region's time zone) the intervals starting at `starts` fall on, with their bounds. */
  async daysOf(regionId: string, starts: number[]): Promise<{ day: string; dayStart: number; dayEnd: number }[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT DISTINCT to_char(d.day, 'YYYY-MM-DD') AS day, (d.day::timestamp AT TIME ZONE d.timezone) AS day_start,
              ((d.day + 1)::timestamp AT TIME ZONE d.timezone) AS day_end
         FROM (SELECT (s AT TIME ZONE r.timezone)::date AS day, r.timezone FROM regions r, unnest($2::timestamptz[]) AS s WHERE r.id = $1) d
        ORDER BY day`,
      [regionId, starts.map((s) => new Date(s))],
    );
    return rows.map((r) => ({ day: r.day as string, dayStart: time(r.day_start), dayEnd: time(r.day_end) }));
  }

  /** Where a local day of a region begins and ends; null for no such region. */
  async dayBounds(regionId: string, day: string): Promise<{ dayStart: number; dayEnd: number } | null> {
    const [row]: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT ($2::date::timestamp AT TIME ZONE timezone) AS day_start, (($2::date + 1)::timestamp AT TIME ZONE timezone) AS day_end
         FROM regions WHERE id = $1`,
      [regionId, day],
    );
    return row ? { dayStart: time(row.day_start), dayEnd: time(row.day_end) } : null;
  }
}
