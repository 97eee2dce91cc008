import {
  createTestDatabase,
  expectEventually,
  metricValue,
  startPlatformProcess,
  startRedis,
  type PlatformProcess,
} from '@wattline/testing';

/**
 * The clock's pass must not depend on Redis: with REDIS_URL, BullMQ ticks it once a second for
 * the cluster; with Redis gone the aggregators tick locally, the one holding a PostgreSQL
 * advisory lock running each pass, so intervals close and prices move at their validTo while
 * Redis is away. Two aggregators (the all-in-one and a standalone one) share Redis and PostgreSQL.
 */
describe('the clock without Redis', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: PlatformProcess;
  let c: PlatformProcess;

  beforeAll(async () => {
    redis = await startRedis();
    db = await createTestDatabase({ empty: true });
    a = await startPlatformProcess({ DATABASE_URL: db.url, REDIS_URL: redis.url });
    c = await startPlatformProcess(
      { DATABASE_URL: db.url, REDIS_URL: redis.url, ADMIN_API_KEY: a.adminKey, LOG_LEVEL: 'log' },
      { app: 'aggregator', readyLine: /Nest application successfully started/ },
    );
  });

  afterAll(async () => {
    for (const p of [c, a]) await p?.stop();
    await redis?.stop();
    await db?.drop();
  });

  /** Seconds since the newest pass of either aggregator. */
  const passAge = async () => {
    const newest = Math.max(
      ...(await Promise.all([a, c].map((p) => metricValue(p.httpUrl, 'wattline_aggregator_last_pass_timestamp_seconds')))),
    );
    return Date.now() / 1000 - newest;
  };
  /** The oldest the newest pass got over `seconds`, sampled every 250 ms. */
  const worstAgeOver = async (seconds: number) => {
    let worst = 0;
    for (const end = Date.now() + seconds * 1000; Date.now() < end; await new Promise((r) => setTimeout(r, 250)))
      worst = Math.max(worst, await passAge());
    return worst;
  };

  it('keeps passing every second while Redis is away, and under BullMQ again once it is back', async () => {
    await expectEventually(async () => ((await passAge()) < 2 ? true : undefined), { what: 'the BullMQ tick' });
    await redis.kill();
    // A pass at least every 2.5 s throughout (the tick is 1 s; a pass takes a few ms here).
    expect(await worstAgeOver(6)).toBeLessThan(2.5);
    expect(a.output() + c.output()).toMatch(/Redis away: the clock ticks locally under a PostgreSQL advisory lock/);
    await redis.restart();
    await new Promise((r) => setTimeout(r, 2000));
    expect(await worstAgeOver(4)).toBeLessThan(2.5);
    expect([a.child.exitCode, c.child.exitCode]).toEqual([null, null]);
  });
});
