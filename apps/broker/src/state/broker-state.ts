import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { AedesOptions } from 'aedes';
import type { WattlineConfig } from '@wattline/config';
import { CONFIG, connectRedis, type RedisConnection } from '@wattline/platform';
import { MemoryAuthThrottle, RedisAuthThrottle, type AuthThrottle } from './auth-throttle';
import { MemoryCredentialCache, RedisCredentialCache, type CredentialCache } from './credential-cache';
import { SlottedRedisPersistence } from './slotted-persistence';
import { clearRetainOnQueue, markRedeliveries } from './retain-flag';
import { MemoryPresenceRegistry, RedisPresenceRegistry, type PresenceRegistry } from './presence-registry';

/**
 * Where a broker keeps what must outlive one connection: sessions, subscriptions, queued and
 * retained messages (aedes persistence), the message bus between instances (aedes mq), and the
 * credential cache, failure counters and presence. In memory for one node; in Redis, shared by
 * every instance, when REDIS_URL is set — as aedes takes `opts.persistence || memory()`.
 */
/**
 * Set in Redis by the broker that found it empty: its absence means Redis lost what it held. Named
 * with the persistence's layout (v2: slotted-persistence.ts), so the first broker of a new layout
 * finds none and publishes the retained messages again, which the old layout's keys still hold.
 */
const STATE_MARKER_KEY = 'wattline:state:marker:v2';

@Injectable()
export class BrokerState implements OnApplicationShutdown {
  private readonly logger = new Logger('BrokerState');
  readonly shared: boolean;
  readonly credentials: CredentialCache;
  readonly throttle: AuthThrottle;
  readonly presence: PresenceRegistry;
  private readonly redis: RedisConnection | null;
  private readonly connections: RedisConnection[] = [];

  constructor(@Inject(CONFIG) private readonly config: WattlineConfig) {
    this.shared = Boolean(config.REDIS_URL);
    this.redis = config.REDIS_URL ? this.connect('broker state', { maxRetriesPerRequest: 3 }) : null;
    this.credentials = this.redis ? new RedisCredentialCache(this.redis) : new MemoryCredentialCache();
    this.throttle = this.redis ? new RedisAuthThrottle(this.redis) : new MemoryAuthThrottle();
    this.presence = this.redis ? new RedisPresenceRegistry(this.redis) : new MemoryPresenceRegistry();
    this.logger.log(this.shared ? 'broker state shared through Redis' : 'broker state in memory (one node)');
  }

  /** The aedes persistence and mq for this mode (undefined: aedes' in-memory defaults). */
  async aedesBackends(): Promise<Pick<AedesOptions, 'persistence' | 'mq'>> {
    if (!this.config.REDIS_URL) {
      // aedes' own default (in memory), built here so queued messages get the spec's RETAIN 0.
      const memory = require('aedes-persistence');
      return { persistence: markRedeliveries(clearRetainOnQueue(memory())) };
    }
    const MQEmitterRedis = require('mqemitter-redis');
    const mq = MQEmitterRedis({ pubConn: this.connect('aedes mq publisher'), subConn: this.connect('aedes mq subscriber') });
    // mqemitter-redis re-emits every connection error on its `state` EventEmitter
    // (mqemitter-redis.js onError: `that.state.emit('error', err)`), which nothing in aedes
    // listens to: unheard, the first ECONNREFUSED ends the process. The connections themselves
    // are watched (logged, reconnecting) in connect().
    mq.state.on('error', (error: Error) => this.logger.debug(`aedes mq: ${error.message}`));
    return {
      // Wattline's own layout (slotted-persistence.ts): a device's keys under its own hash tag, nothing per CONNECT that grows with the fleet.
      persistence: markRedeliveries(
        clearRetainOnQueue(new SlottedRedisPersistence({ db: this.connect('aedes persistence') })),
      ) as unknown as AedesOptions['persistence'],
      mq,
    };
  }

  /**
   * The consumer group for a broker's stream consumer: with shared state one group for all
   * instances (each record handled once, its effect shared through Redis); alone, a group per
   * instance, each replaying what it needs into its own memory.
   */
  consumerGroup(base: string, brokerId: string): string {
    return this.shared ? base : `${base}.${brokerId}`;
  }

  /**
   * With shared state: true for the one instance that finds Redis without its marker (Redis came
   * back empty, or was never written) and sets it — that instance republishes what Redis lost.
   * Redis away: false (nothing to decide until it answers).
   */
  async claimEmptyState(instanceId: string): Promise<boolean> {
    if (!this.redis) return false;
    try {
      return (await this.redis.set(STATE_MARKER_KEY, instanceId, 'NX')) === 'OK';
    } catch {
      return false;
    }
  }

  /** Gives a claim back (its restore failed), if it is still this instance's. */
  async releaseEmptyState(instanceId: string): Promise<void> {
    if (!this.redis) return;
    const script = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
    await this.redis.eval(script, 1, STATE_MARKER_KEY, instanceId).catch(() => undefined);
  }

  /** Every Redis connection of the broker: errors logged, reconnects with a capped back-off. */
  private connect(role: string, options: { maxRetriesPerRequest?: number | null } = {}): RedisConnection {
    const redis = connectRedis(this.config.REDIS_URL!, role, (m) => this.logger.warn(m), options);
    this.connections.push(redis);
    return redis;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.connections.map((redis) => redis.quit()));
  }
}
