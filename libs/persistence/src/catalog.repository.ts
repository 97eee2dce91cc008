import type { DataSource, Repository } from 'typeorm';
import { IsNull, MoreThan } from 'typeorm';
import type { ApiKey, ClientCredential, ClientKind, Meter, MqttCredential, Page, PricingModel, Region, Role } from '@wattline/domain';
import { decodeCursor, pageOf } from './cursor';
import { returnedRows } from './rows';
import type { Sql } from './sql';
import { ApiKeyEntity, MeterEntity, RegionEntity } from './entities';

const ms = (d: Date | null) => (d === null ? null : d.getTime());

/** Regions, devices and API keys: the platform's catalogue. Returns domain types only. */
export class CatalogRepository {
  private readonly regions: Repository<RegionEntity>;
  private readonly meters: Repository<MeterEntity>;
  private readonly apiKeys: Repository<ApiKeyEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.regions = dataSource.getRepository(RegionEntity);
    this.meters = dataSource.getRepository(MeterEntity);
    this.apiKeys = dataSource.getRepository(ApiKeyEntity);
  }

  /** Inserts a region with its pricing as version 1 (in force from the beginning); null when the id is taken. */
  async createRegion(region: Omit<Region, 'createdAt'>): Promise<Region | null> {
    const result = await this.dataSource.query(
      `WITH r AS (INSERT INTO regions (id, name, timezone, pricing) VALUES ($1, $2, $3, $4)
                  ON CONFLICT (id) DO NOTHING RETURNING id, pricing, created_at)
       INSERT INTO region_pricing (region_id, version, effective_from, pricing, created_at)
       SELECT id, 1, NULL, pricing, created_at FROM r RETURNING created_at`,
      [region.id, region.name, region.timezone, JSON.stringify(region.pricing)],
    );
    return result.length === 0 ? null : { ...region, createdAt: new Date(result[0].created_at).getTime() };
  }

  /** Serialises changes to one region's pricing and events: held until the transaction ends. */
  async lockRegion(id: string, sql: Sql): Promise<void> {
    await sql.query(`SELECT 1 FROM regions WHERE id = $1 FOR UPDATE`, [id]);
  }

  /** The model a region shows as its own (its newest version's). */
  async setRegionPricing(id: string, pricing: PricingModel, sql: Sql = this.dataSource): Promise<void> {
    await sql.query(`UPDATE regions SET pricing = $2 WHERE id = $1`, [id, JSON.stringify(pricing)]);
  }

  async getRegion(id: string): Promise<Region | null> {
    const row = await this.regions.findOneBy({ id });
    return row ? toRegion(row) : null;
  }

  async listRegions(limit: number, cursor?: string): Promise<Page<Region>> {
    const after = decodeCursor<string>(cursor, 'string');
    const rows = await this.regions.find({
      where: after === null ? {} : { id: MoreThan(after) },
      order: { id: 'ASC' },
      take: limit + 1,
    });
    return pageOf(rows.map(toRegion), limit, (r) => r.id);
  }

  async createMeter(meter: {
    id: string;
    regionId: string;
    kind: Meter['kind'];
    passwordHash: string;
    cohort?: string | null;
    householdId?: string | null;
  }): Promise<Meter | null> {
    const result = await this.dataSource.query(
      `INSERT INTO meters (id, region_id, kind, password_hash, cohort, household_id) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO NOTHING RETURNING created_at`,
      [meter.id, meter.regionId, meter.kind, meter.passwordHash, meter.cohort ?? null, meter.householdId ?? null],
    );
    if (result.length === 0) return null;
    return {
      id: meter.id,
      regionId: meter.regionId,
      kind: meter.kind,
      cohort: meter.cohort ?? null,
      householdId: meter.householdId ?? null,
      createdAt: new Date(result[0].created_at).getTime(),
      revokedAt: null,
      online: false,
      statusSince: null,
      lastReadingAt: null,
    };
  }

  async getMeter(id: string): Promise<Meter | null> {
    const row = await this.meters.findOneBy({ id });
    return row ? toMeter(row) : null;
  }

  /**
   * A region's households a bill over a window starting at `from` covers, by id: meters (an
   * inverter is billed on its household's bill), unless revoked at or before `from`.
   */
  async listHouseholds(regionId: string, from: number, limit: number, cursor?: string): Promise<Page<Meter>> {
    const after = decodeCursor<string>(cursor, 'string');
    const base = { regionId, kind: 'meter' as const, ...(after === null ? {} : { id: MoreThan(after) }) };
    const rows = await this.meters.find({
      where: [
        { ...base, revokedAt: IsNull() },
        { ...base, revokedAt: MoreThan(new Date(from)) },
      ],
      order: { id: 'ASC' },
      take: limit + 1,
    });
    return pageOf(rows.map(toMeter), limit, (m) => m.id);
  }

  async listMeters(limit: number, cursor?: string, regionId?: string): Promise<Page<Meter>> {
    const after = decodeCursor<string>(cursor, 'string');
    const rows = await this.meters.find({
      where: { ...(after === null ? {} : { id: MoreThan(after) }), ...(regionId ? { regionId } : {}) },
      order: { id: 'ASC' },
      take: limit + 1,
    });
    return pageOf(rows.map(toMeter), limit, (m) => m.id);
  }

  /** One query for any MQTT username: a device's, or a subscribe-only client's. */
  async findMqttCredential(username: string): Promise<MqttCredential | null> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT 'meter' AS kind, id, region_id, kind AS sub_kind, NULL::text[] AS filters, NULL::text[] AS publish_filters, password_hash, revoked_at FROM meters WHERE id = $1
       UNION ALL
       SELECT 'client', id, NULL, kind, subscribe_filters, publish_filters, password_hash, revoked_at FROM client_credentials WHERE id = $1`,
      [username],
    );
    const row = rows[0];
    if (!row) return null;
    const base = { id: row.id as string, passwordHash: row.password_hash as string, revoked: row.revoked_at !== null };
    return row.kind === 'meter'
      ? { ...base, kind: 'meter', regionId: row.region_id as string, deviceKind: row.sub_kind as Meter['kind'] }
      : {
          ...base,
          kind: 'client',
          clientKind: row.sub_kind as ClientKind,
          filters: row.filters as string[],
          publishFilters: row.publish_filters as string[],
        };
  }

  /** Marks a device revoked; false when there is no such (unrevoked) device. */
  async revokeMeter(id: string, at: number): Promise<boolean> {
    const result = await this.dataSource.query(`UPDATE meters SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id`, [
      id,
      new Date(at),
    ]);
    return returnedRows(result).length > 0;
  }

  async createClientCredential(
    credential: Omit<ClientCredential, 'createdAt' | 'revokedAt'> & { passwordHash: string },
  ): Promise<ClientCredential> {
    const [row] = await this.dataSource.query(
      `INSERT INTO client_credentials (id, kind, name, meter_id, subscribe_filters, publish_filters, password_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at`,
      [
        credential.id,
        credential.kind,
        credential.name,
        credential.meterId,
        credential.filters,
        credential.publishFilters,
        credential.passwordHash,
      ],
    );
    const { passwordHash: _hash, ...rest } = credential;
    return { ...rest, createdAt: new Date(row.created_at).getTime(), revokedAt: null };
  }

  async revokeClientCredential(id: string, at: number): Promise<boolean> {
    const result = await this.dataSource.query(
      `UPDATE client_credentials SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id`,
      [id, new Date(at)],
    );
    return returnedRows(result).length > 0;
  }

  /**
   * Records presence for a batch of devices in one statement (a district reconnecting is one
   * write, not ten thousand); per device the newest event wins, and an older one never
   * overwrites a newer one already stored.
   */
  async setMeterStatuses(events: { meterId: string; online: boolean; since: number }[]): Promise<void> {
    if (events.length === 0) return;
    const newest = new Map<string, { meterId: string; online: boolean; since: number }>();
    for (const event of events) if ((newest.get(event.meterId)?.since ?? -Infinity) <= event.since) newest.set(event.meterId, event);
    const rows = [...newest.values()];
    await this.dataSource.query(
      `UPDATE meters m SET online = u.online, status_since = u.since
         FROM unnest($1::text[], $2::boolean[], $3::timestamptz[]) AS u(id, online, since)
        WHERE m.id = u.id AND (m.status_since IS NULL OR m.status_since <= u.since)`,
      [rows.map((r) => r.meterId), rows.map((r) => r.online), rows.map((r) => new Date(r.since))],
    );
  }

  async createApiKey(key: { id: string; name: string; role: Role; keyHash: string }): Promise<ApiKey> {
    const saved = await this.apiKeys.save(this.apiKeys.create({ ...key, revokedAt: null }));
    return { id: saved.id, name: saved.name, role: saved.role, createdAt: saved.createdAt.getTime() };
  }

  /** Keys issued, oldest first (never their secret); revoked ones say when. */
  async listApiKeys(limit: number, cursor?: string): Promise<Page<ApiKey>> {
    const after = decodeCursor<string>(cursor, 'string', /^\d+:[0-9a-f-]{36}$/);
    // The sort key is (created_at in microseconds, id): exact, as PostgreSQL keeps microseconds.
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT * FROM (SELECT id, name, role, created_at, revoked_at, (extract(epoch FROM created_at) * 1000000)::bigint AS created_us FROM api_keys) k
        WHERE $1::text IS NULL OR (created_us, id) > (split_part($1, ':', 1)::bigint, split_part($1, ':', 2)::uuid)
        ORDER BY created_us, id LIMIT $2`,
      [after, limit + 1],
    );
    const sortKeys = new Map(rows.map((r) => [r.id as string, `${r.created_us}:${r.id}`]));
    const keys: ApiKey[] = rows.map((r) => ({
      id: r.id as string,
      name: r.name as string,
      role: r.role as Role,
      createdAt: (r.created_at as Date).getTime(),
      revokedAt: r.revoked_at === null ? null : (r.revoked_at as Date).getTime(),
    }));
    return pageOf(keys, limit, (k) => sortKeys.get(k.id)!);
  }

  /** Revokes a key; false when there is no such unrevoked key. */
  async revokeApiKey(id: string, at: number): Promise<boolean> {
    const result = await this.dataSource.query(
      `UPDATE api_keys SET revoked_at = $2 WHERE id = $1::uuid AND revoked_at IS NULL RETURNING id`,
      [id, new Date(at)],
    );
    return returnedRows(result).length > 0;
  }

  async findApiKeyByHash(keyHash: string): Promise<ApiKey | null> {
    const row = await this.apiKeys.findOneBy({ keyHash });
    if (!row || row.revokedAt) return null;
    return { id: row.id, name: row.name, role: row.role, createdAt: row.createdAt.getTime() };
  }
}

function toRegion(row: RegionEntity): Region {
  return { id: row.id, name: row.name, timezone: row.timezone, pricing: row.pricing as PricingModel, createdAt: row.createdAt.getTime() };
}

function toMeter(row: MeterEntity): Meter {
  return {
    id: row.id,
    regionId: row.regionId,
    kind: row.kind,
    cohort: row.cohort ?? null,
    householdId: row.householdId ?? null,
    createdAt: row.createdAt.getTime(),
    revokedAt: ms(row.revokedAt),
    online: row.online,
    statusSince: ms(row.statusSince),
    lastReadingAt: ms(row.lastReadingAt),
  };
}
