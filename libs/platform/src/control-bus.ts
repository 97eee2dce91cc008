import { EventEmitter } from 'node:events';
import type { Cluster, Redis } from 'ioredis';
import { connectRedis, type RedisConnection } from './redis-connection';

/** Operator actions every broker instance must hear about at once. */
export type ControlEvent =
  | { type: 'credential-revoked'; username: string; at: number }
  /** What a credential may read changed (a household's tariff): brokers forget it, so its next CONNECT reads it again. */
  | { type: 'credential-changed'; username: string; at: number };

/**
 * The channel from the API to the brokers. In one process an EventEmitter; with REDIS_URL a
 * Redis pub/sub channel, so a revocation reaches every broker instance within milliseconds.
 */
export interface ControlBus {
  publish(event: ControlEvent): Promise<void>;
  subscribe(handler: (event: ControlEvent) => void): () => void;
  /** Hands an event to this process's handlers only (one read from the control log, not pushed). */
  deliverLocally(event: ControlEvent): void;
  close(): Promise<void>;
}

export const CONTROL_BUS = Symbol('CONTROL_BUS');

export class InProcessControlBus implements ControlBus {
  private readonly emitter = new EventEmitter();

  async publish(event: ControlEvent): Promise<void> {
    this.emitter.emit('event', event);
  }

  deliverLocally(event: ControlEvent): void {
    this.emitter.emit('event', event);
  }

  subscribe(handler: (event: ControlEvent) => void): () => void {
    this.emitter.on('event', handler);
    return () => this.emitter.off('event', handler);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

export class RedisControlBus implements ControlBus {
  private readonly channel = 'wattline:control';
  private readonly pub: RedisConnection;
  private readonly sub: RedisConnection;
  private readonly handlers = new Set<(event: ControlEvent) => void>();
  private ready: Promise<unknown> | null = null;

  constructor(url: string, log: (message: string) => void = () => undefined) {
    // ioredis reconnects by itself and re-subscribes the subscriber; without an 'error'
    // listener an outage is only printed, with one it is logged once per state change.
    this.pub = connectRedis(url, 'control bus', log, { lazyConnect: false, maxRetriesPerRequest: 3 });
    this.sub = connectRedis(url, 'control bus subscriber', log, { lazyConnect: false });
    this.sub.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      let event: ControlEvent;
      try {
        event = JSON.parse(message) as ControlEvent;
      } catch {
        log(`control bus: unreadable event ignored: ${message.slice(0, 200)}`);
        return;
      }
      for (const handler of this.handlers) handler(event);
    });
  }

  /** For /health: does Redis answer? */
  async ping(): Promise<boolean> {
    return this.pub.status === 'ready' && (await this.pub.ping()) === 'PONG';
  }

  async publish(event: ControlEvent): Promise<void> {
    await this.pub.publish(this.channel, JSON.stringify(event));
  }

  deliverLocally(event: ControlEvent): void {
    for (const handler of this.handlers) handler(event);
  }

  subscribe(handler: (event: ControlEvent) => void): () => void {
    this.handlers.add(handler);
    this.subscribeOnce().catch(() => undefined); // listening() says why, and tries again
    return () => this.handlers.delete(handler);
  }

  /** Resolves once this instance listens (so an event published right after start is not missed). */
  async listening(): Promise<void> {
    await this.subscribeOnce();
  }

  /** One SUBSCRIBE in flight at a time; a failed one (Redis away past ioredis' retries) is forgotten, so the next call tries again. */
  private subscribeOnce(): Promise<unknown> {
    this.ready ??= this.sub.subscribe(this.channel).catch((error: Error) => {
      this.ready = null;
      throw error;
    });
    return this.ready;
  }

  async close(): Promise<void> {
    this.handlers.clear();
    await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
  }
}

/**
 * Every Redis connection of the platform goes through here: errors are logged (once per
 * outage, not once per reconnect attempt) instead of surfacing as unhandled 'error' events,
 * and ioredis keeps reconnecting with a capped back-off.
 */
export function watchRedis<T extends Redis | Cluster>(redis: T, role: string, log: (message: string) => void): T {
  let down = false;
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    log(`Redis (${role}) unreachable, reconnecting: ${error.message}`);
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log(`Redis (${role}) reconnected`);
  });
  return redis;
}

/** ioredis options for connections that must survive an outage (capped back-off, never give up). */
export const RESILIENT_REDIS = { retryStrategy: (attempt: number) => Math.min(2000, 50 * 2 ** Math.min(attempt, 6)) } as const;
