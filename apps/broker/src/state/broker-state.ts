import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import type { AedesOptions } from 'aedes';
import type { WattlineConfig } from '@wattline/config';
import { CONFIG } from '@wattline/platform';
import { MemoryAuthThrottle, RedisAuthThrottle, type AuthThrottle } from './auth-throttle';
import { MemoryCredentialCache, RedisCredentialCache, type CredentialCache } from './credential-cache';
import { createRedisPersistence } from './redis-persistence';
import { clearRetainOnQueue } from './retain-flag';
import { MemoryPresenceRegistry, RedisPresenceRegistry, type PresenceRegistry } from './presence-registry';

/**
 * Where a broker keeps what must outlive one connection: sessions, subscriptions, queued and
 * retained messages (aedes persistence), the message bus between instances (aedes mq), and the
 * credential cache, failure counters and presence. In memory for one node; in Redis, shared by
 * every instance, when REDIS_URL is set — as aedes takes `opts.persistence || memory()`.
 */
@Injectable()
export class BrokerState implements OnApplicationShutdown {
  private readonly logger = new Logger('BrokerState');
  readonly shared: boolean;
  readonly credentials: CredentialCache;
  readonly throttle: AuthThrottle;
  readonly presence: PresenceRegistry;
  private readonly redis: Redis | null;

  constructor(@Inject(CONFIG) private readonly config: WattlineConfig) {
    this.shared = Boolean(config.REDIS_URL);
    this.redis = config.REDIS_URL ? new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3 }) : null;
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
      return { persistence: clearRetainOnQueue(memory()) };
    }
    // aedes 1.x needs the async persistence interface; the package's default export wraps it in callbacks.
    const MQEmitterRedis = require('mqemitter-redis');
    const url = this.config.REDIS_URL;
    return {
      persistence: clearRetainOnQueue(createRedisPersistence({ conn: new Redis(url) }) as object) as AedesOptions['persistence'],
      mq: MQEmitterRedis({ pubConn: new Redis(url), subConn: new Redis(url) }),
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.quit().catch(() => undefined);
  }
}
