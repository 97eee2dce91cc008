import type Redis from 'ioredis';

/**
 * Counts failed CONNECTs per client id and per source address in one-minute windows. Once a
 * key has failed too often it is refused without a password check for the rest of the window:
 * guessing costs the guesser, not the broker's argon2 budget.
 */
export interface AuthThrottle {
  /** The keys that have failed `limits[i]` times or more in the current window. */
  blockedKeys(keys: string[], limits: number[]): Promise<string[]>;
  recordFailure(keys: string[]): Promise<void>;
  /**
   * While a key is blocked, one credential check per `intervalMs` may still be tried for it
   * (a probe): a device with the right secret gets in within that interval, a guesser is held
   * to that rate. True when this caller took the probe.
   */
  takeProbe(key: string, intervalMs: number): Promise<boolean>;
}

const WINDOW_SECONDS = 60;

export class MemoryAuthThrottle implements AuthThrottle {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private readonly probes = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async blockedKeys(keys: string[], limits: number[]): Promise<string[]> {
    const now = this.now();
    return keys.filter((key, i) => {
      const window = this.windows.get(key);
      return window !== undefined && window.resetAt > now && window.count >= limits[i];
    });
  }

  async takeProbe(key: string, intervalMs: number): Promise<boolean> {
    const now = this.now();
    if ((this.probes.get(key) ?? 0) > now) return false;
    if (this.probes.size > 100_000) for (const [k, until] of this.probes) if (until <= now) this.probes.delete(k);
    this.probes.set(key, now + intervalMs);
    return true;
  }

  async recordFailure(keys: string[]): Promise<void> {
    const now = this.now();
    if (this.windows.size > 100_000) for (const [key, w] of this.windows) if (w.resetAt <= now) this.windows.delete(key);
    for (const key of keys) {
      const window = this.windows.get(key);
      if (!window || window.resetAt <= now) this.windows.set(key, { count: 1, resetAt: now + WINDOW_SECONDS * 1000 });
      else window.count += 1;
    }
  }
}

export class RedisAuthThrottle implements AuthThrottle {
  constructor(private readonly redis: Redis) {}

  async blockedKeys(keys: string[], limits: number[]): Promise<string[]> {
    const counts = await this.redis.mget(...keys.map((k) => `wattline:authfail:${k}`));
    return keys.filter((_key, i) => counts[i] !== null && Number(counts[i]) >= limits[i]);
  }

  async takeProbe(key: string, intervalMs: number): Promise<boolean> {
    return (await this.redis.set(`wattline:authprobe:${key}`, '1', 'PX', intervalMs, 'NX')) === 'OK';
  }

  async recordFailure(keys: string[]): Promise<void> {
    const multi = this.redis.multi();
    for (const key of keys) {
      multi.incr(`wattline:authfail:${key}`);
      multi.expire(`wattline:authfail:${key}`, WINDOW_SECONDS, 'NX');
    }
    await multi.exec();
  }
}
