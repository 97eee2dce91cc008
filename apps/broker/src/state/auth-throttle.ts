import type Redis from 'ioredis';

/**
 * Counts failed CONNECTs per client id and per source address in one-minute windows. Once a
 * key has failed too often it is refused without a password check for the rest of the window:
 * guessing costs the guesser, not the broker's argon2 budget.
 */
export interface AuthThrottle {
  isBlocked(keys: string[], limits: number[]): Promise<boolean>;
  recordFailure(keys: string[]): Promise<void>;
}

const WINDOW_SECONDS = 60;

export class MemoryAuthThrottle implements AuthThrottle {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async isBlocked(keys: string[], limits: number[]): Promise<boolean> {
    const now = this.now();
    return keys.some((key, i) => {
      const window = this.windows.get(key);
      return window !== undefined && window.resetAt > now && window.count >= limits[i];
    });
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

  async isBlocked(keys: string[], limits: number[]): Promise<boolean> {
    const counts = await this.redis.mget(...keys.map((k) => `wattline:authfail:${k}`));
    return counts.some((count, i) => count !== null && Number(count) >= limits[i]);
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
