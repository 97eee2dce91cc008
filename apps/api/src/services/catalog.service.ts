import { Injectable } from '@nestjs/common';
import { mqttTopics } from '@wattline/contracts';
import { DEFAULT_PRICING_MODEL, DomainError, type Meter, type Page, type Region, type TariffRef } from '@wattline/domain';
import { CatalogRepository, Database } from '@wattline/persistence';
import { generateSecret, hashIssuedSecret } from '@wattline/platform';
import type { ProvisionedMeterResponse } from '../dtos/responses';
import type { CreateMeterBody, CreateRegionBody } from '../dtos/schemas';

export interface ProvisionedMeter {
  meter: Meter;
  /** MQTT credentials: shown once, stored only as an argon2id hash. */
  mqtt: ProvisionedMeterResponse['mqtt'];
}

/** Regions and devices: creating, provisioning and looking them up. */
@Injectable()
export class CatalogService {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly database: Database,
  ) {}

  async createRegion(body: CreateRegionBody): Promise<Region> {
    const region = await this.catalog.createRegion({
      id: body.id,
      name: body.name,
      timezone: body.timezone,
      pricing: body.pricing ?? DEFAULT_PRICING_MODEL,
      defaultTariff: body.tariff,
    });
    if (!region) throw new DomainError('conflict', `Region ${body.id} already exists`);
    return region;
  }

  async getRegion(id: string): Promise<Region> {
    const region = await this.catalog.getRegion(id);
    if (!region) throw new DomainError('not_found', `No region ${id}`);
    return region;
  }

  listRegions(limit: number, cursor?: string): Promise<Page<Region>> {
    return this.catalog.listRegions(limit, cursor);
  }

  /** The tariffs a region offers, by code. */
  offeredTariffs(regionId: string): Promise<string[]> {
    return this.catalog.offeredTariffs(regionId);
  }

  /**
   * One of a region's tariffs (its default when none is named); not found when the region does
   * not offer it. `topicTariff`: what its announcements are keyed by (none for the default).
   */
  async tariffOf(regionId: string, tariff?: string): Promise<{ region: Region; ref: TariffRef; topicTariff: string | undefined }> {
    const region = await this.getRegion(regionId);
    const code = tariff ?? region.defaultTariff;
    if (code !== region.defaultTariff) {
      const offered = await this.catalog.offeredTariffs(regionId);
      if (!offered.includes(code))
        throw new DomainError('not_found', `Region ${regionId} offers no tariff "${code}" (it offers ${offered.join(', ')})`, {
          field: 'tariff',
        });
    }
    return { region, ref: { regionId, tariff: code }, topicTariff: code === region.defaultTariff ? undefined : code };
  }

  async provisionMeter(body: CreateMeterBody): Promise<ProvisionedMeter> {
    const region = await this.getRegion(body.regionId);
    if (body.householdId !== undefined) await this.householdFor(body.householdId, body.regionId);
    // A meter is on a tariff of its region (the default unless named); an inverter is on its household's.
    const tariff = body.kind === 'inverter' ? null : (body.tariff ?? region.defaultTariff);
    if (tariff !== null && tariff !== region.defaultTariff && !(await this.catalog.offeredTariffs(region.id)).includes(tariff))
      throw new DomainError('validation_failed', `tariff: region ${region.id} offers no tariff "${tariff}"`, { field: 'tariff' });
    const topicTariff = tariff === null || tariff === region.defaultTariff ? null : tariff;
    const id = body.id ?? `${body.kind === 'inverter' ? 'inv' : 'm'}-${generateSecret(9)}`;
    const password = generateSecret(24);
    const meter = await this.catalog.createMeter({
      id,
      regionId: body.regionId,
      kind: body.kind,
      passwordHash: hashIssuedSecret(password),
      cohort: body.cohort ?? null,
      householdId: body.householdId ?? null,
      tariff,
    });
    if (!meter) throw new DomainError('conflict', `Meter ${id} already exists`);
    return {
      meter,
      mqtt: {
        clientId: id,
        username: id,
        password,
        topics: {
          publishReadings: `meters/${id}/readings`,
          errors: `meters/${id}/errors`,
          status: `meters/${id}/status`,
          currentPrice: mqttTopics.currentPrice(body.regionId, topicTariff),
        },
      },
    };
  }

  /**
   * Devices provisioned at once, all or none: every row checked as `POST /v1/meters` checks one
   * (its region, its tariff offered there, an inverter's household — a meter of that region,
   * stored or earlier in the file), each refusal naming its row; then one statement in one
   * transaction, refused whole (409, naming them) if any id is taken.
   */
  async provisionMeters(rows: CreateMeterBody[]) {
    const refuse = (i: number, field: string, detail: string) =>
      new DomainError('validation_failed', `meters.${i}.${field}: ${detail} (row ${i + 1})`, { field: `meters.${i}.${field}` });
    const regions = new Map<string, { defaultTariff: string; offered: string[] }>();
    for (const [i, row] of rows.entries()) {
      if (regions.has(row.regionId)) continue;
      const region = await this.catalog.getRegion(row.regionId);
      if (!region) throw refuse(i, 'regionId', `no region ${row.regionId}`);
      regions.set(row.regionId, { defaultTariff: region.defaultTariff, offered: await this.catalog.offeredTariffs(region.id) });
    }
    const planned = rows.map((row, i) => ({
      row: i,
      id: row.id ?? `${row.kind === 'inverter' ? 'inv' : 'm'}-${generateSecret(9)}`,
      regionId: row.regionId,
      kind: row.kind,
      cohort: row.cohort ?? null,
      householdId: row.householdId ?? null,
      tariff: row.kind === 'inverter' ? null : (row.tariff ?? regions.get(row.regionId)!.defaultTariff),
      password: generateSecret(24),
    }));
    const byId = new Map<string, (typeof planned)[number]>();
    for (const p of planned) {
      if (byId.has(p.id)) throw refuse(p.row, 'id', `${p.id} is also row ${byId.get(p.id)!.row + 1}`);
      byId.set(p.id, p);
      const region = regions.get(p.regionId)!;
      if (p.tariff !== null && p.tariff !== region.defaultTariff && !region.offered.includes(p.tariff))
        throw refuse(p.row, 'tariff', `region ${p.regionId} offers no tariff "${p.tariff}"`);
    }
    for (const p of planned) {
      if (p.householdId === null) continue;
      const inFile = byId.get(p.householdId);
      if (inFile) {
        if (inFile.kind !== 'meter' || inFile.regionId !== p.regionId || inFile.row > p.row)
          throw refuse(p.row, 'householdId', `${p.householdId} must be a meter of region ${p.regionId} on an earlier row`);
        continue;
      }
      try {
        await this.householdFor(p.householdId, p.regionId);
      } catch (error) {
        throw refuse(p.row, 'householdId', (error as Error).message.replace(/^householdId: /, ''));
      }
    }
    const created = await this.database.transaction(async (tx) => {
      const inserted = await this.catalog.createMeters(
        planned.map((p) => ({ ...p, passwordHash: hashIssuedSecret(p.password) })),
        tx,
      );
      if (inserted.length < planned.length) {
        const free = new Set(inserted);
        const taken = planned.filter((p) => !free.has(p.id)).map((p) => p.id);
        throw new DomainError('conflict', `nothing provisioned: ${taken.length} id(s) exist already: ${taken.slice(0, 20).join(', ')}`);
      }
      return inserted.length;
    });
    return {
      created,
      meters: planned.map((p) => ({
        id: p.id,
        regionId: p.regionId,
        kind: p.kind,
        tariff: p.tariff,
        cohort: p.cohort,
        householdId: p.householdId,
        clientId: p.id,
        username: p.id,
        password: p.password,
      })),
    };
  }

  async getMeter(id: string): Promise<Meter> {
    const meter = await this.catalog.getMeter(id);
    if (!meter) throw new DomainError('not_found', `No meter ${id}`);
    return meter;
  }

  /** The household meter an inverter may join: a meter (not an inverter), in the inverter's region, not revoked. */
  private async householdFor(householdId: string, regionId: string): Promise<Meter> {
    const household = await this.catalog.getMeter(householdId);
    const problem = !household
      ? `no meter ${householdId}`
      : household.kind !== 'meter'
        ? `${householdId} is an inverter, not a household's meter`
        : household.regionId !== regionId
          ? `${householdId} is in region ${household.regionId}, not ${regionId}`
          : household.revokedAt !== null
            ? `${householdId} is revoked`
            : null;
    if (problem) throw new DomainError('validation_failed', `householdId: ${problem}`, { field: 'householdId' });
    return household!;
  }

  /** The households a region's bills from `from` cover: meters, not inverters, not revoked by then. */
  listHouseholds(regionId: string, from: number, limit: number, cursor?: string): Promise<Page<Meter>> {
    return this.catalog.listHouseholds(regionId, from, limit, cursor);
  }

  listMeters(limit: number, cursor?: string, regionId?: string): Promise<Page<Meter>> {
    return this.catalog.listMeters(limit, cursor, regionId);
  }
}
