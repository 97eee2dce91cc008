import Redis, { Cluster, type RedisOptions } from 'ioredis';
import { RESILIENT_REDIS, watchRedis } from './control-bus';

/** A connection to the platform's Redis: one server, or a Redis Cluster (ioredis routes each key to its slot's primary). */
export type RedisConnection = Redis | Cluster;

/** `REDIS_URL`'s cluster form: `redis-cluster://[user:password@]host:port,host:port,…` (any reachable nodes: seeds). */
export const REDIS_CLUSTER_SCHEME = 'redis-cluster:';

export interface RedisClusterTarget {
  seeds: { host: string; port: number }[];
  username?: string;
  password?: string;
}

/** The seeds and credentials of a `redis-cluster://` URL, or null for a single Redis (`redis://`, `rediss://`). */
export function redisClusterTarget(url: string): RedisClusterTarget | null {
  if (!url.startsWith(`${REDIS_CLUSTER_SCHEME}//`)) return null;
  const rest = url.slice(REDIS_CLUSTER_SCHEME.length + 2);
  const at = rest.lastIndexOf('@');
  const auth = at === -1 ? '' : rest.slice(0, at);
  const hosts = (at === -1 ? rest : rest.slice(at + 1)).replace(/\/.*$/, '');
  const seeds = hosts
    .split(',')
    .filter(Boolean)
    .map((hostPort) => {
      const colon = hostPort.lastIndexOf(':');
      const port = Number(colon === -1 ? 6379 : hostPort.slice(colon + 1));
      if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`REDIS_URL: ${hostPort} is not host:port`);
      return { host: colon === -1 ? hostPort : hostPort.slice(0, colon), port };
    });
  if (seeds.length === 0) throw new Error('REDIS_URL: a redis-cluster:// URL names at least one host:port');
  const [user, password] = auth.includes(':') ? auth.split(/:(.*)/s) : ['', auth];
  return {
    seeds,
    ...(user ? { username: decodeURIComponent(user) } : {}),
    ...(password ? { password: decodeURIComponent(password) } : {}),
  };
}

/**
 * Every Redis connection of the platform: a single Redis or, for a `redis-cluster://` URL, an
 * ioredis Cluster over the seeds, with the same reconnect policy (capped back-off, never giving
 * up) and the same once-per-outage logging (watchRedis). Commands that name several keys must
 * keep them in one slot on a cluster (a hash tag), or send them one key at a time.
 */
export function connectRedis(url: string, role: string, log: (message: string) => void, options: RedisOptions = {}): RedisConnection {
  const cluster = redisClusterTarget(url);
  if (!cluster) return watchRedis(new Redis(url, { ...RESILIENT_REDIS, ...options }), role, log);
  const { lazyConnect, ...nodeOptions } = options;
  return watchRedis(
    new Redis.Cluster(cluster.seeds, {
      lazyConnect: lazyConnect ?? false,
      clusterRetryStrategy: RESILIENT_REDIS.retryStrategy,
      // A failover (a replica promoted) answers CLUSTERDOWN or MOVED for a moment: wait and follow, do not fail the command.
      retryDelayOnClusterDown: 200,
      retryDelayOnFailover: 200,
      retryDelayOnTryAgain: 200,
      // Until a replica is promoted (cluster-node-timeout and an election: 2–4 s in the tests) the dead primary's slots
      // answer MOVED to it; ioredis' default of 16 redirections gave up within 2 s. 100 ride out ~20 s.
      maxRedirections: 100,
      redisOptions: {
        ...RESILIENT_REDIS,
        ...nodeOptions,
        ...(cluster.username ? { username: cluster.username } : {}),
        ...(cluster.password ? { password: cluster.password } : {}),
      },
    }),
    role,
    log,
  );
}

/** True for a connection to a Redis Cluster. */
export function isCluster(redis: RedisConnection): redis is Cluster {
  return (redis as Cluster).isCluster === true;
}
