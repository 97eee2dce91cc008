import type Redis from 'ioredis';

/**
 * Counts credential checks per client id and per source address in one-minute windows. An
 * attempt is charged before its password is checked — atomically, so a flood of CONNECTs at
 * once sees the count rise with every one of them instead of all passing an empty counter —
 * and refunded when the password was right. Once a key has been charged past its limit, a
 * check for it needs a probe (one per interval): guessing costs the guesser, not the broker's
 * hashing budget, and a device with the right secret still gets in.
 */
export interface AuthThrottle {
  /** Charges one attempt to each key; resolves with each key's count in its window. */
  charge(keys: string[]): Promise<number[]>;
  /** Gives back the attempt of a check that succeeded. */
  refund(keys: string[]): Promise<void>;
  /** True when this caller took the key's probe (one per `intervalMs`). */
  takeProbe(key: string, intervalMs: number): Promise<boolean>;
}

const WINDOW_SECONDS = 60;

export class MemoryAuthThrottle implements AuthThrottle {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private readonly probes = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async charge(keys: string[]): Promise<number[]> {
    const now = this.now();
    if (this.windows.size > 100_000) for (const [key, w] of this.windows) if (w.resetAt <= now) this.windows.delete(key);
    return keys.map((key) => {
      const window = this.windows.get(key);
      if (!window || window.resetAt <= now) {
        this.windows.set(key, { count: 1, resetAt: now + WINDOW_SECONDS * 1000 });
        return 1;
      }
      return ++window.count;
    });
  }

  async refund(keys: string[]): Promise<void> {
    for (const key of keys) {
      const window = this.windows.get(key);
      if (window && window.count > 0) window.count -= 1;
    }
  }

  async takeProbe(key: string, intervalMs: number): Promise<boolean> {
    const now = this.now();
    if ((this.probes.get(key) ?? 0) > now) return false;
    if (this.probes.size > 100_000) for (const [k, until] of this.probes) if (until <= now) this.probes.delete(k);
    this.probes.set(key, now + intervalMs);
    return true;
  }
}

export class RedisAuthThrottle implements AuthThrottle {
  constructor(private readonly redis: Redis) {}

  async charge(keys: string[]): Promise<number[]> {
    const multi = this.redis.multi();
    for (const key of keys) {
      multi.incr(`wattline:authfail:${key}`);
      multi.expire(`wattline:authfail:${key}`, WINDOW_SECONDS, 'NX');
    }
    const results = (await multi.exec()) ?? [];
    return keys.map((_key, i) => Number(results[i * 2]?.[1] ?? 0));
  }

  async refund(keys: string[]): Promise<void> {
    const multi = this.redis.multi();
    for (const key of keys) multi.decr(`wattline:authfail:${key}`);
    await multi.exec();
  }

  async takeProbe(key: string, intervalMs: number): Promise<boolean> {
    return (await this.redis.set(`wattline:authprobe:${key}`, '1', 'PX', intervalMs, 'NX')) === 'OK';
  }
}
