import type { RedisConnection } from '@wattline/platform';

/**
 * Which connection currently speaks for a device. A meter that moves to another broker
 * instance is taken over there; the old instance then sees a disconnect that must not
 * publish "offline" over the new "online". Only the holder of the current token may.
 */
export interface PresenceRegistry {
  claim(meterId: string, token: string): Promise<void>;
  /** True (and the claim is released) only if `token` is still the current one. */
  release(meterId: string, token: string): Promise<boolean>;
  /** Does a connection (here or elsewhere) speak for the device now? */
  isClaimed(meterId: string): Promise<boolean>;
}

export class MemoryPresenceRegistry implements PresenceRegistry {
  private readonly tokens = new Map<string, string>();

  async claim(meterId: string, token: string): Promise<void> {
    this.tokens.set(meterId, token);
  }

  async release(meterId: string, token: string): Promise<boolean> {
    if (this.tokens.get(meterId) !== token) return false;
    this.tokens.delete(meterId);
    return true;
  }

  async isClaimed(meterId: string): Promise<boolean> {
    return this.tokens.has(meterId);
  }
}

// Compare-and-delete in one step, so a claim made elsewhere in between is never erased.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export class RedisPresenceRegistry implements PresenceRegistry {
  constructor(private readonly redis: RedisConnection) {}

  async claim(meterId: string, token: string): Promise<void> {
    await this.redis.set(`wattline:presence:${meterId}`, token);
  }

  async release(meterId: string, token: string): Promise<boolean> {
    return (await this.redis.eval(RELEASE, 1, `wattline:presence:${meterId}`, token)) === 1;
  }

  async isClaimed(meterId: string): Promise<boolean> {
    return (await this.redis.exists(`wattline:presence:${meterId}`)) === 1;
  }
}
