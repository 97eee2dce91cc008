import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import { DomainError, type ApiKey, type Page, type Role } from '@wattline/domain';
import { CatalogRepository } from '@wattline/persistence';
import { CLOCK, CONFIG, generateSecret, safeEqual, sha256, type Clock } from '@wattline/platform';

/** The key a request came with, as the guard knows it (`req.apiKey`). */
export interface KeyPrincipal {
  id: string;
  name: string;
  role: Role;
  regions: string[] | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** API keys: the bootstrap admin key from configuration, and keys stored hashed in PostgreSQL. */
@Injectable()
export class ApiKeyService {
  private readonly logger = new Logger(ApiKeyService.name);
  private readonly adminKey: string;

  constructor(
    private readonly catalog: CatalogRepository,
    @Inject(CONFIG) config: WattlineConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.adminKey = config.ADMIN_API_KEY ?? `wl_admin_${generateSecret(24)}`;
    if (!config.ADMIN_API_KEY) {
      // Printed once, on this start only: it is not stored anywhere.
      this.logger.warn(`ADMIN_API_KEY not set; generated admin key for this run: ${this.adminKey}`);
    }
  }

  async roleOf(key: string): Promise<Role | null> {
    return (await this.keyOf(key))?.role ?? null;
  }

  /** Who a key is: the bootstrap admin (every region), or an issued key with its role and regions. */
  async keyOf(key: string): Promise<KeyPrincipal | null> {
    if (safeEqual(key, this.adminKey)) return { id: 'admin', name: 'ADMIN_API_KEY', role: 'admin', regions: null };
    const found = await this.catalog.findApiKeyByHash(sha256(key));
    return found ? { id: found.id, name: found.name, role: found.role, regions: found.regions } : null;
  }

  list(limit: number, cursor?: string): Promise<Page<ApiKey>> {
    return this.catalog.listApiKeys(limit, cursor);
  }

  /** Revokes an issued key at once (the bootstrap admin key lives in configuration, not here). */
  async revoke(id: string): Promise<{ id: string; revokedAt: string }> {
    const at = this.clock.now();
    if (!UUID.test(id) || !(await this.catalog.revokeApiKey(id, at))) throw new DomainError('not_found', `No active API key ${id}`);
    return { id, revokedAt: new Date(at).toISOString() };
  }

  /** Issues a key; the secret is returned here once and stored only as a hash. */
  async issue(name: string, role: Role, regions: string[] | null = null): Promise<ApiKey & { key: string }> {
    if (regions !== null && role !== 'analyst')
      throw new DomainError('validation_failed', 'regions: only an analyst key is scoped to regions (an admin manages all)', {
        field: 'regions',
      });
    for (const region of regions ?? [])
      if (!(await this.catalog.getRegion(region)))
        throw new DomainError('validation_failed', `regions: no region ${region}`, { field: 'regions' });
    const key = `wl_${role}_${generateSecret(32)}`;
    const saved = await this.catalog.createApiKey({ id: randomUUID(), name, role, keyHash: sha256(key), regions });
    return { ...saved, key };
  }
}
