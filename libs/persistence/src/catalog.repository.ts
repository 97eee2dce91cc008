import type { DataSource, Repository } from 'typeorm';
import { MoreThan } from 'typeorm';
import type {
  ApiKey,
  ClientCredential,
  ClientKind,
  Meter,
  MqttCredential,
  Page,
  PriceAccess,
  PricingModel,
  Region,
  Role,
  TariffPeriod,
} from '@wattline/domain';
import { decodeCursor, pageOf } from './cursor';
import { returnedRows } from './rows';
import type { Sql } from './sql';
import { regionPlanOf } from './meter-moves.repository';
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

  /** Inserts a region with its pricing as version 1 of its default tariff (in force from the beginning); null when the id is taken. */
  async createRegion(input: Omit<Region, 'createdAt' | 'defaultTariff'> & { defaultTariff?: string }): Promise<Region | null> {
    const region = { ...input, defaultTariff: input.defaultTariff ?? 'dynamic' };
    const result = await this.dataSource.query(
      `WITH r AS (INSERT INTO regions (id, name, timezone, pricing, default_tariff) VALUES ($1, $2, $3, $4, $5)
                  ON CONFLICT (id) DO NOTHING RETURNING id, pricing, default_tariff, created_at)
       INSERT INTO region_pricing (region_id, tariff, version, effective_from, pricing, created_at)
       SELECT id, default_tariff, 1, NULL, pricing, created_at FROM r RETURNING created_at`,
      [region.id, region.name, region.timezone, JSON.stringify(region.pricing), region.defaultTariff],
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
    /** A meter's tariff (default: its region's default); an inverter has none. */
    tariff?: string | null;
  }): Promise<Meter | null> {
    const result = await this.dataSource.query(
      `INSERT INTO meters (id, region_id, kind, password_hash, cohort, household_id, tariff)
       SELECT $1, $2, $3, $4, $5, $6, CASE WHEN $3 = 'meter' THEN coalesce($7, r.default_tariff) END FROM regions r WHERE r.id = $2
       ON CONFLICT (id) DO NOTHING RETURNING created_at, tariff`,
      [meter.id, meter.regionId, meter.kind, meter.passwordHash, meter.cohort ?? null, meter.householdId ?? null, meter.tariff ?? null],
    );
    if (result.length === 0) return null;
    return {
      id: meter.id,
      regionId: meter.regionId,
      kind: meter.kind,
      cohort: meter.cohort ?? null,
      householdId: meter.householdId ?? null,
      tariff: (result[0].tariff as string | null) ?? null,
      createdAt: new Date(result[0].created_at).getTime(),
      revokedAt: null,
      online: false,
      statusSince: null,
      lastReadingAt: null,
    };
  }

  /**
   * Devices provisioned in one statement (inside the caller's transaction: all or none); answers
   * the ids that were free. A household named in the same file is inserted by the same statement.
   */
  async createMeters(
    meters: {
      id: string;
      regionId: string;
      kind: Meter['kind'];
      passwordHash: string;
      cohort: string | null;
      householdId: string | null;
      tariff: string | null;
    }[],
    sql: Sql,
  ): Promise<string[]> {
    const rows: { id: string }[] = await sql.query(
      `INSERT INTO meters (id, region_id, kind, password_hash, cohort, household_id, tariff)
       SELECT t.id, t.region_id, t.kind, t.password_hash, t.cohort, t.household_id,
              CASE WHEN t.kind = 'meter' THEN coalesce(t.tariff, r.default_tariff) END
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
              AS t(id, region_id, kind, password_hash, cohort, household_id, tariff)
         JOIN regions r ON r.id = t.region_id
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [
        meters.map((m) => m.id),
        meters.map((m) => m.regionId),
        meters.map((m) => m.kind),
        meters.map((m) => m.passwordHash),
        meters.map((m) => m.cohort),
        meters.map((m) => m.householdId),
        meters.map((m) => m.tariff),
      ],
    );
    return rows.map((r) => r.id);
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
    // In the region now, or at some time (a household that moved in or out: its bills say which part is this region's).
    const rows = await this.meters
      .createQueryBuilder('m')
      .where(`(m.region_id = :regionId OR m.id IN (SELECT c.meter_id FROM meter_region_changes c WHERE c.region_id = :regionId))`, {
        regionId,
      })
      .andWhere(`m.kind = 'meter' AND (m.revoked_at IS NULL OR m.revoked_at > :from)`, { from: new Date(from) })
      .andWhere(after === null ? 'true' : 'm.id > :after', { after })
      .orderBy('m.id', 'ASC')
      .limit(limit + 1)
      .getMany();
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

  /**
   * One query for any MQTT username: a device's, or a subscribe-only client's; with what decides
   * whose prices it reads (a device's or a display's household: an inverter's is the meter it
   * belongs to; unlinked, it reads the region's default tariff).
   */
  /**
   * Per region, the devices (not revoked) that have reported but whose newest reading is older
   * than `silentMs` of the region's time (the wall clock plus its lead): a district gone quiet.
   */
  async silentDevices(wallMs: number, silentMs: number): Promise<{ regionId: string; silent: number }[]> {
    const rows: { id: string; silent: number }[] = await this.dataSource.query(
      `SELECT r.id, count(m.id)::int AS silent
         FROM regions r
         LEFT JOIN region_watermarks w ON w.region_id = r.id
         LEFT JOIN meters m ON m.region_id = r.id AND m.revoked_at IS NULL AND m.last_reading_at IS NOT NULL
              AND m.last_reading_at < $1::timestamptz + (coalesce(w.clock_lead_ms, 0) - $2) * interval '1 millisecond'
        GROUP BY r.id`,
      [new Date(wallMs), silentMs],
    );
    return rows.map((r) => ({ regionId: r.id, silent: Number(r.silent) }));
  }

  /** A region's devices (not revoked): how many, how many online. */
  async fleetCounts(regionId: string): Promise<{ devices: number; online: number }> {
    const [row]: { devices: number; online: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS devices, count(*) FILTER (WHERE online)::int AS online FROM meters WHERE region_id = $1 AND revoked_at IS NULL`,
      [regionId],
    );
    return { devices: Number(row.devices), online: Number(row.online) };
  }

  /** Every device's last known presence (`online`, since when), a page in id order after `afterId`: what `meters/{id}/status` retains. */
  async statusesPage(afterId: string, limit: number): Promise<{ meterId: string; online: boolean; since: number }[]> {
    const rows: { id: string; online: boolean; status_since: Date }[] = await this.dataSource.query(
      `SELECT id, online, status_since FROM meters WHERE id > $1 AND status_since IS NOT NULL ORDER BY id LIMIT $2`,
      [afterId, limit],
    );
    return rows.map((r) => ({ meterId: r.id, online: r.online, since: new Date(r.status_since).getTime() }));
  }

  async findMqttCredential(username: string): Promise<MqttCredential | null> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `WITH c AS (
         SELECT 'meter' AS kind, id, kind AS sub_kind, NULL::text[] AS filters, NULL::text[] AS publish_filters, password_hash, revoked_at,
                coalesce(household_id, id) AS household,
                -- The secret before a rotation, only while its grace period lasts.
                CASE WHEN previous_valid_until > now() THEN previous_password_hash END AS previous_hash,
                CASE WHEN previous_valid_until > now() THEN previous_valid_until END AS previous_until
           FROM meters WHERE id = $1
         UNION ALL
         SELECT 'client', id, kind, subscribe_filters, publish_filters, password_hash, revoked_at, meter_id, NULL, NULL::timestamptz
           FROM client_credentials WHERE id = $1
         UNION ALL
         -- An OpenADR client: its password is its current access token, refused once expired.
         SELECT 'client', client_id, 'ven', subscribe_filters, ARRAY[]::text[], coalesce(token_hash, 'sha256$none$none'),
                CASE WHEN token_hash IS NULL OR token_expires_at <= now() THEN coalesce(revoked_at, now()) ELSE revoked_at END, NULL, NULL, NULL
           FROM openadr_clients WHERE client_id = $1)
       SELECT c.*, h.region_id, coalesce(h.tariff, r.default_tariff) AS tariff, r.default_tariff, w.clock_lead_ms,
              (SELECT json_agg(json_build_object('tariff', t.tariff, 'from', t.effective_from) ORDER BY t.effective_from)
                 FROM meter_tariff_changes t WHERE t.meter_id = h.id) AS changes,
              (SELECT json_agg(json_build_object('regionId', g.region_id, 'from', g.effective_from) ORDER BY g.effective_from)
                 FROM meter_region_changes g WHERE g.meter_id = h.id) AS moves
         FROM c LEFT JOIN meters h ON h.id = c.household LEFT JOIN regions r ON r.id = h.region_id
         LEFT JOIN region_watermarks w ON w.region_id = h.region_id`,
      [username],
    );
    const row = rows[0];
    if (!row) return null;
    const base = { id: row.id as string, passwordHash: row.password_hash as string, revoked: row.revoked_at !== null };
    const prices: PriceAccess | undefined =
      row.region_id === null
        ? undefined
        : {
            regionId: row.region_id as string,
            defaultTariff: row.default_tariff as string,
            plan: planOf(row),
            clockLead: row.clock_lead_ms === null ? null : Number(row.clock_lead_ms),
          };
    return row.kind === 'meter'
      ? {
          ...base,
          kind: 'meter',
          regionId: prices!.regionId,
          deviceKind: row.sub_kind as Meter['kind'],
          prices: prices!,
          // Only a household that moved (or will) has a plan: its readings count in the region of their time.
          ...(row.moves ? { regionPlan: regionPlanOf(prices!.regionId, row.moves as { regionId: string; from: string }[]) } : {}),
          ...(row.previous_hash
            ? { previous: { passwordHash: row.previous_hash as string, validUntil: new Date(row.previous_until as string).getTime() } }
            : {}),
        }
      : {
          ...base,
          kind: 'client',
          clientKind: row.sub_kind as ClientKind | 'ven',
          filters: row.filters as string[],
          publishFilters: row.publish_filters as string[],
          ...(prices ? { prices } : {}),
        };
  }

  /** Each household's tariff plan (its tariff at provisioning, then its changes), for the meters given. */
  async tariffPlans(meterIds: string[], sql: Sql = this.dataSource): Promise<Map<string, TariffPeriod[]>> {
    const rows: Record<string, unknown>[] = await sql.query(
      `SELECT m.id, coalesce(m.tariff, r.default_tariff) AS tariff,
              (SELECT json_agg(json_build_object('tariff', t.tariff, 'from', t.effective_from) ORDER BY t.effective_from)
                 FROM meter_tariff_changes t WHERE t.meter_id = m.id) AS changes
         FROM meters m JOIN regions r ON r.id = m.region_id WHERE m.id = ANY($1::text[])`,
      [meterIds],
    );
    return new Map(rows.map((r) => [r.id as string, planOf(r)]));
  }

  /** The tariffs a region offers (each has at least one pricing version), by code. */
  async offeredTariffs(regionId: string, sql: Sql = this.dataSource): Promise<string[]> {
    const rows: { tariff: string }[] = await sql.query(`SELECT DISTINCT tariff FROM region_pricing WHERE region_id = $1 ORDER BY tariff`, [
      regionId,
    ]);
    return rows.map((r) => r.tariff);
  }

  /** Replaces a household's tariff changes at or after `from` by one to `tariff` then. */
  async changeTariff(meterId: string, tariff: string, from: number, at: number, sql: Sql): Promise<void> {
    await sql.query(`DELETE FROM meter_tariff_changes WHERE meter_id = $1 AND effective_from >= $2`, [meterId, new Date(from)]);
    await sql.query(`INSERT INTO meter_tariff_changes (meter_id, effective_from, tariff, requested_at) VALUES ($1, $2, $3, $4)`, [
      meterId,
      new Date(from),
      tariff,
      new Date(at),
    ]);
  }

  /** Serialises changes to one meter's tariff: held until the transaction ends. */
  async lockMeter(id: string, sql: Sql): Promise<void> {
    await sql.query(`SELECT 1 FROM meters WHERE id = $1 FOR UPDATE`, [id]);
  }

  /** The MQTT usernames whose prices follow a household's tariff: its own, its inverters' and its displays'. */
  async householdUsernames(meterId: string, sql: Sql = this.dataSource): Promise<string[]> {
    const rows: { id: string }[] = await sql.query(
      `SELECT id FROM meters WHERE id = $1 OR household_id = $1 UNION ALL SELECT id FROM client_credentials WHERE meter_id = $1`,
      [meterId],
    );
    return rows.map((r) => r.id);
  }

  /**
   * A device's new secret; the one before keeps working until `graceUntil` (brokers re-verify
   * cached entries: the control log's `credential-changed`). False for no such live device.
   */
  async rotateMeterSecret(id: string, passwordHash: string, graceUntil: number, at: number): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `WITH rotated AS (
         UPDATE meters SET previous_password_hash = password_hash, previous_valid_until = $3, password_hash = $2
          WHERE id = $1 AND revoked_at IS NULL RETURNING id)
       INSERT INTO control_events (type, username, at) SELECT 'credential-changed', id, $4 FROM rotated RETURNING seq`,
      [id, passwordHash, new Date(graceUntil), new Date(at)],
    );
    return rows.length > 0;
  }

  /** A revoked (not decommissioned) device back, with a new secret: the one it had is not trusted again. */
  async reinstateMeter(id: string, passwordHash: string, at: number): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `WITH reinstated AS (
         UPDATE meters SET revoked_at = NULL, password_hash = $2, previous_password_hash = NULL, previous_valid_until = NULL
          WHERE id = $1 AND revoked_at IS NOT NULL AND decommissioned_at IS NULL RETURNING id)
       INSERT INTO control_events (type, username, at) SELECT 'credential-changed', id, $3 FROM reinstated RETURNING seq`,
      [id, passwordHash, new Date(at)],
    );
    return rows.length > 0;
  }

  /** A device gone for good: revoked, its secrets erased, never reinstated; its readings, intervals and bills stay. */
  async decommissionMeter(id: string, at: number): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `WITH gone AS (
         UPDATE meters SET revoked_at = coalesce(revoked_at, $2), decommissioned_at = $2, password_hash = 'sha256$none$none',
                previous_password_hash = NULL, previous_valid_until = NULL
          WHERE id = $1 AND decommissioned_at IS NULL RETURNING id)
       INSERT INTO control_events (type, username, at) SELECT 'credential-revoked', id, $2 FROM gone RETURNING seq`,
      [id, new Date(at)],
    );
    return rows.length > 0;
  }

  /** Whether a device was decommissioned (a reinstatement is refused). */
  async isDecommissioned(id: string): Promise<boolean> {
    const [row]: { decommissioned: boolean }[] = await this.dataSource.query(
      `SELECT decommissioned_at IS NOT NULL AS decommissioned FROM meters WHERE id = $1`,
      [id],
    );
    return row?.decommissioned ?? false;
  }

  /** Marks a device revoked, with its entry in the control log; false when there is no such (unrevoked) device. */
  async revokeMeter(id: string, at: number): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `WITH revoked AS (UPDATE meters SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id)
       INSERT INTO control_events (type, username, at) SELECT 'credential-revoked', id, $2 FROM revoked RETURNING seq`,
      [id, new Date(at)],
    );
    return rows.length > 0;
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

  /** Marks a display or service credential revoked, with its entry in the control log. */
  async revokeClientCredential(id: string, at: number): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `WITH revoked AS (UPDATE client_credentials SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id)
       INSERT INTO control_events (type, username, at) SELECT 'credential-revoked', id, $2 FROM revoked RETURNING seq`,
      [id, new Date(at)],
    );
    return rows.length > 0;
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

  async createApiKey(key: { id: string; name: string; role: Role; keyHash: string; regions: string[] | null }): Promise<ApiKey> {
    const saved = await this.apiKeys.save(this.apiKeys.create({ ...key, revokedAt: null }));
    return { id: saved.id, name: saved.name, role: saved.role, createdAt: saved.createdAt.getTime(), regions: saved.regions };
  }

  /** Keys issued, oldest first (never their secret); revoked ones say when. */
  async listApiKeys(limit: number, cursor?: string): Promise<Page<ApiKey>> {
    const after = decodeCursor<string>(cursor, 'string', /^\d+:[0-9a-f-]{36}$/);
    // The sort key is (created_at in microseconds, id): exact, as PostgreSQL keeps microseconds.
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT * FROM (SELECT id, name, role, created_at, revoked_at, regions, (extract(epoch FROM created_at) * 1000000)::bigint AS created_us FROM api_keys) k
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
      regions: (r.regions as string[] | null) ?? null,
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
    return { id: row.id, name: row.name, role: row.role, createdAt: row.createdAt.getTime(), regions: row.regions ?? null };
  }
}

function toRegion(row: RegionEntity): Region {
  return {
    id: row.id,
    name: row.name,
    timezone: row.timezone,
    pricing: row.pricing as PricingModel,
    defaultTariff: row.defaultTariff,
    createdAt: row.createdAt.getTime(),
  };
}

/** A plan from a row's provisioning `tariff` and its `changes` (json_agg of tariff and from). */
function planOf(row: Record<string, unknown>): TariffPeriod[] {
  const changes = (row.changes as { tariff: string; from: string }[] | null) ?? [];
  return [{ tariff: row.tariff as string, from: null }, ...changes.map((c) => ({ tariff: c.tariff, from: Date.parse(c.from) }))];
}

function toMeter(row: MeterEntity): Meter {
  return {
    id: row.id,
    regionId: row.regionId,
    kind: row.kind,
    cohort: row.cohort ?? null,
    householdId: row.householdId ?? null,
    tariff: row.tariff ?? null,
    createdAt: row.createdAt.getTime(),
    revokedAt: ms(row.revokedAt),
    online: row.online,
    statusSince: ms(row.statusSince),
    lastReadingAt: ms(row.lastReadingAt),
  };
}
