import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import type { ApiKey, Role } from '@wattline/domain';
import { CatalogRepository } from '@wattline/persistence';
import { CONFIG, generateSecret, safeEqual, sha256 } from '@wattline/platform';

/** API keys: the bootstrap admin key from configuration, and keys stored hashed in PostgreSQL. */
@Injectable()
export class ApiKeyService {
  private readonly logger = new Logger(ApiKeyService.name);
  private readonly adminKey: string;

  constructor(
    private readonly catalog: CatalogRepository,
    @Inject(CONFIG) config: WattlineConfig,
  ) {
    this.adminKey = config.ADMIN_API_KEY ?? `wl_admin_${generateSecret(24)}`;
    if (!config.ADMIN_API_KEY) {
      // Printed once, on this start only: it is not stored anywhere.
      this.logger.warn(`ADMIN_API_KEY not set; generated admin key for this run: ${this.adminKey}`);
    }
  }

  async roleOf(key: string): Promise<Role | null> {
    if (safeEqual(key, this.adminKey)) return 'admin';
    return (await this.catalog.findApiKeyByHash(sha256(key)))?.role ?? null;
  }

  /** Issues a key; the secret is returned here once and stored only as a hash. */
  async issue(name: string, role: Role): Promise<ApiKey & { key: string }> {
    const key = `wl_${role}_${generateSecret(32)}`;
    const saved = await this.catalog.createApiKey({ id: randomUUID(), name, role, keyHash: sha256(key) });
    return { ...saved, key };
  }
}
