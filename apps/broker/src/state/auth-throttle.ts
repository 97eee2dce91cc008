import type { RedisConnection } from '@wattline/platform';

/**
 * Counts credential checks in one-minute windows: per client id, charged before the check —
 * atomically, so a flood of simultaneous CONNECTs for one id sees the count rise with every one
 * of them instead of all passing an empty counter — and refunded when the secret was right;
 * per source address, only the checks that failed (thousands of devices behind one NAT
 * reconnecting at once are not a flood). Past its limit a key needs a probe (one per interval):
 * guessing costs the guesser, not the broker, and a device with the right secret still gets in.
 * A secret that failed within the window is remembered (as a digest, never the secret): the same
 * wrong secret again is refused without a check and spends no probe, so a device retrying a stale
 * secret at full speed cannot use up the probes the device with the right one needs.
 */
export interface AuthThrottle {
  /** Each key's count in its window, unchanged. */
  counts(keys: string[]): Promise<number[]>;
  /** Charges one attempt to each key; resolves with each key's count in its window. */
  charge(keys: string[]): Promise<number[]>;
  /** Gives back the attempt of a check that succeeded. */
  refund(keys: string[]): Promise<void>;
  /** True when this caller took the key's probe (one per `intervalMs`). */
  takeProbe(key: string, intervalMs: number): Promise<boolean>;
  /** Remembers, for the window, the digest of a username and secret that failed. */
  rememberFailure(digest: string): Promise<void>;
  /** True when this digest failed within the window. */
  failedRecently(digest: string): Promise<boolean>;
}

const WINDOW_SECONDS = 60;

export class MemoryAuthThrottle implements AuthThrottle {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private readonly probes = new Map<string, number>();
  private readonly failures = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async counts(keys: string[]): Promise<number[]> {
    const now = this.now();
    return keys.map((key) => {
      const window = this.windows.get(key);
      return window && window.resetAt > now ? window.count : 0;
    });
  }

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

  async rememberFailure(digest: string): Promise<void> {
    const now = this.now();
    if (this.failures.size > 100_000) for (const [k, until] of this.failures) if (until <= now) this.failures.delete(k);
    // Still over the bound after the sweep (a flood of distinct guesses): forget the oldest half.
    if (this.failures.size > 100_000) for (const k of [...this.failures.keys()].slice(0, 50_000)) this.failures.delete(k);
    this.failures.set(digest, now + WINDOW_SECONDS * 1000);
  }

  async failedRecently(digest: string): Promise<boolean> {
    return (this.failures.get(digest) ?? 0) > this.now();
  }
}

export class RedisAuthThrottle implements AuthThrottle {
  constructor(private readonly redis: RedisConnection) {}

  // One key per command (or per MULTI): the keys of one CONNECT (its username, its address) lie in
  // different slots of a Redis Cluster, where a multi-key MGET or MULTI is refused (CROSSSLOT).
  // Sent together, they still travel in one write to a single Redis.
  async counts(keys: string[]): Promise<number[]> {
    return Promise.all(keys.map(async (k) => Number((await this.redis.get(`wattline:authfail:${k}`)) ?? 0)));
  }

  async charge(keys: string[]): Promise<number[]> {
    return Promise.all(
      keys.map(async (key) => {
        const results =
          (await this.redis.multi().incr(`wattline:authfail:${key}`).expire(`wattline:authfail:${key}`, WINDOW_SECONDS, 'NX').exec()) ?? [];
        return Number(results[0]?.[1] ?? 0);
      }),
    );
  }

  async refund(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.redis.decr(`wattline:authfail:${key}`)));
  }

  async takeProbe(key: string, intervalMs: number): Promise<boolean> {
    return (await this.redis.set(`wattline:authprobe:${key}`, '1', 'PX', intervalMs, 'NX')) === 'OK';
  }

  async rememberFailure(digest: string): Promise<void> {
    await this.redis.set(`wattline:authbad:${digest}`, '1', 'EX', WINDOW_SECONDS);
  }

  async failedRecently(digest: string): Promise<boolean> {
    return (await this.redis.exists(`wattline:authbad:${digest}`)) === 1;
  }
}
