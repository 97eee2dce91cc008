import assert from 'node:assert';
import Redis, { Cluster } from 'ioredis';
import { startRedis, startRedisCluster, type RedisCluster } from '@wattline/testing';
import { SlottedRedisPersistence } from './slotted-persistence';

/**
 * aedes-persistence's own abstract suite (abstract.js, the one every aedes persistence passes:
 * aedes-persistence-redis runs it as test/abs.js and test/cluster.js), run as it is, on a real
 * Redis and on a real Redis Cluster of three primaries and three replicas. The suite is written
 * for node:test; `nodeTest` below gives it node:test's `t` (plan, assert, diagnostic) over
 * jest's `it`, and checks each test's plan as node:test does.
 */
const abstractPersistence: (options: Record<string, unknown>) => void = require('aedes-persistence/abstract.js');

type TestFn = (t: { plan(n: number): void; assert: typeof assert; diagnostic(message: string): void }) => Promise<void>;

function nodeTest(name: string, fn: TestFn): void {
  // eslint-disable-next-line jest/valid-title -- the abstract suite's own test names, passed through
  it(name, async () => {
    let planned: number | null = null;
    let asserted = 0;
    // node:test's t.assert: node:assert's functions, each counted against t.plan.
    const counted = new Proxy(assert, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          asserted += 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    await fn({ plan: (n) => (planned = n), assert: counted, diagnostic: () => undefined });
    if (planned !== null) expect(asserted).toBe(planned);
  });
}

let instances = 0;
function suite(connect: () => Redis | Cluster): void {
  abstractPersistence({
    test: nodeTest,
    testAsync: true,
    // A key prefix of its own per instance: each test starts empty, as the upstream suites' FLUSHALL gives them.
    persistence: async () => {
      const db = connect();
      const instance = new SlottedRedisPersistence({ db, prefix: `abs-${process.pid}-${++instances}:` });
      const destroy = instance.destroy.bind(instance);
      instance.destroy = async () => {
        await destroy();
        db.disconnect();
      };
      return instance;
    },
  });
}

describe('aedes-persistence abstract suite on a single Redis', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  suite(() => new Redis(redis.url));
});

describe('aedes-persistence abstract suite on a Redis Cluster (3 primaries, 3 replicas)', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  suite(() => new Redis.Cluster(cluster.seeds, { enableAutoPipelining: true }));
});
