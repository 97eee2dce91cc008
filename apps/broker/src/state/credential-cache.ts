import type { RedisConnection } from '@wattline/platform';
import type { Principal } from '@wattline/contracts';

export interface CachedCredential {
  /** SHA-256 of username and password: enough to recognise the password again, useless to reuse it. */
  digest: string;
  principal: Principal;
  /** When the catalog read it was made began: a revocation or change learned of after that makes it stale. */
  verifiedAt: number;
  /** A secret verified in its grace period after a rotation is trusted only until the period ends. */
  validUntil?: number;
}

/**
 * Remembers verified credentials so a mass reconnect costs no argon2 run and no database
 * query per device. With Redis it is shared: a device moving to another broker instance is
 * recognised there too, and one DEL revokes it everywhere.
 */
export interface CredentialCache {
  get(username: string): Promise<CachedCredential | null>;
  set(username: string, entry: CachedCredential): Promise<void>;
  delete(username: string): Promise<void>;
}

const TTL_SECONDS = 600;
/** How long a verified credential is trusted without reading the catalog again. */
export const CREDENTIAL_CACHE_TTL_MS = TTL_SECONDS * 1000;

export class MemoryCredentialCache implements CredentialCache {
  private readonly entries = new Map<string, CachedCredential & { expiresAt: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 1_000_000,
  ) {}

  async get(username: string): Promise<CachedCredential | null> {
    const entry = this.entries.get(username);
    if (!entry || entry.expiresAt <= this.now()) return null;
    return entry;
  }

  async set(username: string, entry: CachedCredential): Promise<void> {
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(username, { ...entry, expiresAt: this.now() + TTL_SECONDS * 1000 });
  }

  async delete(username: string): Promise<void> {
    this.entries.delete(username);
  }
}

export class RedisCredentialCache implements CredentialCache {
  constructor(private readonly redis: RedisConnection) {}

  private key(username: string) {
    // v2: a household's principal carries its tariff plan (before, the topics it reached at CONNECT).
    return `wattline:credential:v2:${username}`;
  }

  async get(username: string): Promise<CachedCredential | null> {
    const value = await this.redis.get(this.key(username));
    return value ? (JSON.parse(value) as CachedCredential) : null;
  }

  async set(username: string, entry: CachedCredential): Promise<void> {
    await this.redis.set(this.key(username), JSON.stringify(entry), 'EX', TTL_SECONDS);
  }

  async delete(username: string): Promise<void> {
    await this.redis.del(this.key(username));
  }
}
