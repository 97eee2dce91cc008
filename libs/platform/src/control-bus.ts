import { EventEmitter } from 'node:events';
import Redis from 'ioredis';

/** Operator actions every broker instance must hear about at once. */
export type ControlEvent = { type: 'credential-revoked'; username: string; at: number };

/**
 * The channel from the API to the brokers. In one process an EventEmitter; with REDIS_URL a
 * Redis pub/sub channel, so a revocation reaches every broker instance within milliseconds.
 */
export interface ControlBus {
  publish(event: ControlEvent): Promise<void>;
  subscribe(handler: (event: ControlEvent) => void): () => void;
  close(): Promise<void>;
}

export const CONTROL_BUS = Symbol('CONTROL_BUS');

export class InProcessControlBus implements ControlBus {
  private readonly emitter = new EventEmitter();

  async publish(event: ControlEvent): Promise<void> {
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
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly handlers = new Set<(event: ControlEvent) => void>();
  private ready: Promise<unknown> | null = null;

  constructor(url: string) {
    this.pub = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3 });
    this.sub = new Redis(url, { lazyConnect: false });
    this.sub.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const event = JSON.parse(message) as ControlEvent;
      for (const handler of this.handlers) handler(event);
    });
  }

  async publish(event: ControlEvent): Promise<void> {
    await this.pub.publish(this.channel, JSON.stringify(event));
  }

  subscribe(handler: (event: ControlEvent) => void): () => void {
    this.handlers.add(handler);
    this.ready ??= this.sub.subscribe(this.channel);
    return () => this.handlers.delete(handler);
  }

  /** Resolves once this instance listens (so an event published right after start is not missed). */
  async listening(): Promise<void> {
    this.ready ??= this.sub.subscribe(this.channel);
    await this.ready;
  }

  async close(): Promise<void> {
    this.handlers.clear();
    await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
  }
}
