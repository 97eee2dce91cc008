import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import {
  MeterFleet,
  REPO_ROOT,
  createTestDatabase,
  regionTotals,
  expectEventually,
  restClient,
  startPlatformProcess,
  startRedis,
  startTcpProxy,
  type PlatformProcess,
} from '@wattline/testing';

/**
 * Dependencies that go away degrade the platform, never kill it, and nothing acknowledged is
 * lost. A scaled-out deployment on real services: A (broker, aggregator and API in one
 * process), B (a broker alone) and C (an aggregator alone), sharing Kafka (this file's own,
 * since it freezes it), Redis (its own, killed and restarted) and PostgreSQL (reached through
 * a proxy that cuts it off). Four real London households publish throughout.
 */
const HOMES = ['MAC000002', 'MAC000003', 'MAC000004', 'MAC000006'];
const DECEMBER = 'from=2013-12-01T00:00:00Z&to=2014-01-01T00:00:00Z';

describe('dependency outages under load', () => {
  let kafka: { brokers: string[]; pid: number; stop(): Promise<void> };
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let a: PlatformProcess;
  let b: PlatformProcess;
  let c: PlatformProcess;
  const fleets: MeterFleet[] = [];
  const prefix = `outage${Date.now().toString(36)}.`;

  /** GET /health, timed. */
  const health = async (p: PlatformProcess) => {
    const started = Date.now();
    const res = await fetch(`${p.httpUrl}/health`);
    return {
      status: res.status,
      body: (await res.json()) as { failing?: string[]; checks: Record<string, { status: string; detail?: string }> },
      ms: Date.now() - started,
    };
  };
  const acked = () => fleets.reduce((n, f) => n + f.totals.acked, 0);

  beforeAll(async () => {
    const { startKafka } = require(path.join(REPO_ROOT, 'scripts', 'kafka', 'kafka.cjs'));
    kafka = await startKafka({ dir: path.join(REPO_ROOT, '.data', `kafka-outage-${process.pid}`), log: () => undefined });
    redis = await startRedis();
    db = await createTestDatabase({ empty: true });
    const target = new URL(db.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const proxied = new URL(db.url);
    proxied.port = String(proxy.port);
    const env = {
      KAFKA_BROKERS: kafka.brokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      DATABASE_URL: proxied.toString(),
      REDIS_URL: redis.url,
      MQTT_MAX_PUBLISH_RATE: '10000',
      ALLOWED_LATENESS_SECONDS: '86400',
      IDLE_CLOSE_SECONDS: '3600',
    };
    a = await startPlatformProcess(env);
    b = await startPlatformProcess(
      { ...env, ADMIN_API_KEY: a.adminKey, LOG_LEVEL: 'log' },
      { app: 'broker', readyLine: /Nest application successfully started/ },
    );
    c = await startPlatformProcess(
      { ...env, ADMIN_API_KEY: a.adminKey, LOG_LEVEL: 'log' },
      { app: 'aggregator', readyLine: /Nest application successfully started/ },
    );
  });

  afterAll(async () => {
    try {
      process.kill(kafka.pid, 'SIGCONT');
    } catch {
      // running or gone
    }
    proxy?.resume();
    await Promise.all(fleets.map((f) => f.close()));
    for (const p of [c, b, a]) await p?.stop();
    await proxy?.close();
    await redis?.stop();
    await kafka?.stop();
    await db?.drop();
  });

  it('serves /health and /metrics on a standalone broker and a standalone aggregator', async () => {
    for (const p of [b, c]) {
      const { status, body } = await health(p);
      expect(status).toBe(200);
      expect(Object.keys(body.checks).sort()).toEqual(['database', 'redis', 'stream']);
    }
    const brokerMetrics = await fetch(`${b.httpUrl}/metrics`).then((r) => r.text());
    expect(brokerMetrics).toMatch(/^wattline_mqtt_connected_clients \d+/m);
    const aggregatorMetrics = await fetch(`${c.httpUrl}/metrics`).then((r) => r.text());
    expect(aggregatorMetrics).toMatch(/^wattline_readings_stored_total \d+/m);
  });

  it('keeps acknowledging through a PostgreSQL outage, says so in /health within a second, and catches up', async () => {
    const api = restClient(a.httpUrl, a.adminKey);
    await api.post('/v1/regions', { id: 'london', name: 'London' });
    const meters = [];
    for (const id of HOMES) meters.push({ id, password: (await api.post('/v1/meters', { id, regionId: 'london' })).body.mqtt.password });
    fleets.push(await MeterFleet.connect(() => a.mqttUrl, meters.slice(0, 2)), await MeterFleet.connect(() => b.mqttUrl, meters.slice(2)));
    for (const fleet of fleets) fleet.start(15);
    await expectEventually(() => (acked() >= 100 ? true : undefined), { what: 'readings flowing' });

    proxy.pause();
    const down = await expectEventually(
      async () => {
        const h = await health(c);
        return h.status === 503 && h.body.failing?.includes('database') ? h : undefined;
      },
      { what: 'the aggregator to report the database down' },
    );
    expect(down.ms).toBeLessThan(1000);
    const during = acked();
    await expectEventually(() => (acked() >= during + 100 ? true : undefined), { what: 'acknowledgements continuing without PostgreSQL' });
    // The consumer waits the outage out: it says so once it has been retrying a while.
    await expectEventually(async () => ((await health(c)).body.checks.stream.detail?.includes('retrying') ? true : undefined), {
      what: 'the consumer retrying',
    });
    // The readings wait in Kafka: the group's lag, from Kafka's own offsets, grows while the aggregator cannot store.
    const readingsLag = async () => {
      const text = await fetch(`${c.httpUrl}/metrics`).then((r) => r.text());
      const samples = [
        ...text.matchAll(/^wattline_stream_consumer_lag\{group="aggregator\.readings",topic="meter\.readings",partition="\d+"\} (\d+)/gm),
      ];
      return samples.length === 0 ? undefined : samples.reduce((sum, m) => sum + Number(m[1]), 0);
    };
    const behind = await expectEventually(async () => (((await readingsLag()) ?? 0) >= 50 ? readingsLag() : undefined), {
      what: 'the lag growing',
    });
    proxy.resume();
    await expectEventually(async () => ((await health(c)).status === 200 ? true : undefined), {
      what: 'the aggregator healthy again',
      timeoutMs: 30_000,
    });
    // Caught up: the lag falls back below what it was, to what is in flight.
    await expectEventually(async () => ((await readingsLag())! < Math.min(behind!, 50) ? true : undefined), {
      what: 'the lag falling back',
      timeoutMs: 30_000,
    });
  });

  it('survives Redis being killed and restarted under two brokers: both stay up, say so in /health, and meters carry on', async () => {
    await redis.kill();
    const down = await expectEventually(
      async () => {
        const h = await health(b);
        return h.status === 503 && h.body.failing?.includes('redis') ? h : undefined;
      },
      { what: 'the broker to report Redis down' },
    );
    expect(down.ms).toBeLessThan(1000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect([a.child.exitCode, b.child.exitCode]).toEqual([null, null]);
    await redis.restart();
    await expectEventually(async () => ((await health(b)).status === 200 && (await health(a)).status === 200 ? true : undefined), {
      what: 'healthy again',
      timeoutMs: 30_000,
    });
    const after = acked();
    await expectEventually(() => (acked() >= after + 100 ? true : undefined), {
      what: 'acknowledgements after Redis came back',
      timeoutMs: 30_000,
    });
  });

  it('answers /health within a second with the stream named while Kafka does not answer', async () => {
    process.kill(kafka.pid, 'SIGSTOP');
    try {
      const down = await expectEventually(
        async () => {
          const h = await health(a);
          return h.status === 503 && h.body.failing?.includes('stream') ? h : undefined;
        },
        { what: 'the stream reported down' },
      );
      expect(down.ms).toBeLessThan(1000);
    } finally {
      process.kill(kafka.pid, 'SIGCONT');
    }
    await expectEventually(async () => ((await health(a)).status === 200 ? true : undefined), { what: 'healthy again', timeoutMs: 30_000 });
  });

  it('waits for a Kafka that does not answer at start-up: comes up when it answers, and exits 0 on SIGTERM while waiting', async () => {
    const env = {
      KAFKA_BROKERS: kafka.brokers.join(','),
      // Topics and groups of their own: joining the running aggregators' groups would wait out a rebalance.
      KAFKA_TOPIC_PREFIX: `${prefix}late.`,
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      ADMIN_API_KEY: a.adminKey,
      LOG_LEVEL: 'log',
    };
    process.kill(kafka.pid, 'SIGSTOP');
    let waiting: PlatformProcess | null = null;
    let patient: PlatformProcess | null = null;
    try {
      [waiting, patient] = await Promise.all(
        [0, 1].map(() => startPlatformProcess(env, { app: 'aggregator', readyLine: /Kafka unreachable/, timeoutMs: 60_000 })),
      );
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect([waiting.child.exitCode, patient.child.exitCode]).toEqual([null, null]);
      // Said once, not once per attempt.
      expect(patient.output().match(/Kafka unreachable/g)).toHaveLength(1);
      const started = Date.now();
      expect(await waiting.stop()).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(waiting.output()).toContain('stopped before start-up completed');
    } finally {
      process.kill(kafka.pid, 'SIGCONT');
      if (waiting?.child.exitCode === null) await waiting.kill();
    }
    try {
      await expectEventually(() => (/Nest application successfully started/.test(patient!.output()) ? true : undefined), {
        what: 'the aggregator up once Kafka answers',
        timeoutMs: 60_000,
      });
      expect(patient!.output()).toMatch(/Kafka answered after [\d.]+ s/);
      await expectEventually(async () => ((await health(patient!)).status === 200 ? true : undefined), {
        what: 'healthy',
        timeoutMs: 30_000,
      });
      const code = await patient!.stop();
      // A non-zero exit says why in the process's own last lines: shown with the failure.
      expect([code, code === 0 ? '' : patient!.output().slice(-4000)]).toEqual([0, '']);
    } finally {
      if (patient?.child.exitCode === null) await patient.kill();
    }
  });

  it('rebuilds every consumer whose group session a stalled Kafka (SIGSTOP, past the session timeout) lost', async () => {
    // Two more meters (replaying two of the homes), publishing through the stall on both brokers.
    const api = restClient(a.httpUrl, a.adminKey);
    const more = [];
    for (const [id, household] of [
      ['stall-a', HOMES[0]],
      ['stall-b', HOMES[1]],
    ])
      more.push({ id, household, password: (await api.post('/v1/meters', { id, regionId: 'london' })).body.mqtt.password });
    const fleet = await MeterFleet.connect(() => a.mqttUrl, [more[0]]);
    const other = await MeterFleet.connect(() => b.mqttUrl, [more[1]]);
    fleets.push(fleet, other);
    fleet.start(15);
    other.start(15);
    await expectEventually(() => (fleet.totals.acked + other.totals.acked >= 50 ? true : undefined), { what: 'the new meters publishing' });
    process.kill(kafka.pid, 'SIGSTOP');
    try {
      // Past the consumers' 10 s session: their members are gone from their groups when Kafka wakes.
      await new Promise((resolve) => setTimeout(resolve, 16_000));
    } finally {
      process.kill(kafka.pid, 'SIGCONT');
    }
    const after = fleet.totals.acked + other.totals.acked;
    try {
      await expectEventually(() => (fleet.totals.acked + other.totals.acked >= after + 100 ? true : undefined), {
        what: 'acknowledgements after the stall',
        timeoutMs: 60_000,
      });
      for (const p of [a, b, c])
        await expectEventually(async () => ((await health(p)).status === 200 ? true : undefined), {
          what: 'healthy again after the stall, every consumer running',
          timeoutMs: 60_000,
        });
      // The aggregators' consumers store what the brokers acknowledged since, not only what came before.
      const acknowledged = acked();
      await expectEventually(async () => ((await regionTotals(api, 'london', DECEMBER)).readings >= acknowledged ? true : undefined), {
        what: 'everything acknowledged by now stored',
        timeoutMs: 60_000,
      });
    } catch (error) {
      for (const p of [a, b, c]) process.stderr.write(`---- ${p.httpUrl}\n${p.output().slice(-6000)}\n`);
      throw error;
    }
    const rebuilt = [a, b, c].flatMap((p) => p.output().match(/consumer .* is rebuilt in .*/g) ?? []);
    process.stderr.write(`outages: after a 16 s Kafka stall, ${rebuilt.length} consumer rebuild(s): ${rebuilt.join(' | ')}\n`);
    expect([a.child.exitCode, b.child.exitCode, c.child.exitCode]).toEqual([null, null, null]);
  });

  it('dead-letters a poison record and a wrong-shape record on meter.readings with their position, and stores what follows', async () => {
    const client = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING });
    const producer = client.producer();
    await producer.connect();
    const [poison] = await producer.send({
      topic: `${prefix}meter.readings`,
      acks: -1,
      messages: [{ key: 'MAC000002', value: '{"ts": not json' }],
    });
    const [shape] = await producer.send({
      topic: `${prefix}meter.readings`,
      acks: -1,
      messages: [
        {
          key: 'MAC000002',
          value: JSON.stringify({
            meterId: 'MAC000002',
            regionId: 'london',
            ts: Date.UTC(2013, 11, 1),
            periodS: 1800,
            consumptionWh: 'plenty',
          }),
        },
      ],
    });
    await producer.disconnect();
    const letters: { error: string; source: { partition: number; offset: string } }[] = [];
    const consumer = client.consumer({ groupId: `dlq-reader-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: `${prefix}meter.readings.dlq`, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void letters.push(JSON.parse(message.value!.toString())) });
    try {
      await expectEventually(() => (letters.filter((l) => l.error !== 'invalid_json' && l.source).length >= 2 ? true : undefined), {
        what: 'two dead letters',
        timeoutMs: 30_000,
      });
    } finally {
      await consumer.disconnect();
    }
    const fromStream = letters.filter((l) => l.source);
    expect(fromStream.map((l) => [l.error, l.source.partition, l.source.offset])).toEqual([
      ['unparseable', poison.partition, poison.baseOffset],
      ['invalid_schema', shape.partition, shape.baseOffset],
    ]);
    const counted = async () => {
      let n = 0;
      for (const p of [a, c]) {
        const text = await fetch(`${p.httpUrl}/metrics`).then((r) => r.text());
        for (const m of text.matchAll(/^wattline_stream_dead_lettered_total\{[^}]*topic="meter.readings"[^}]*\} (\d+)/gm))
          n += Number(m[1]);
      }
      return n;
    };
    expect(await counted()).toBe(2);
  });

  it('stores every acknowledged reading exactly once after all of it', async () => {
    for (const fleet of fleets) await fleet.settle();
    const sent = fleets.reduce((n, f) => n + f.totals.sent, 0);
    expect(acked()).toBe(sent);
    const api = restClient(a.httpUrl, a.adminKey);
    const totals = await expectEventually(
      async () => {
        const t = await regionTotals(api, 'london', DECEMBER);
        return t.readings >= sent ? t : undefined;
      },
      { what: `${sent} readings stored`, timeoutMs: 60_000 },
    );
    expect(totals.readings).toBe(sent);
    expect(totals.demandWh).toBeCloseTo(
      fleets.reduce((wh, f) => wh + f.sentWh(), 0),
      3,
    );
    process.stderr.write(`outages: ${sent} readings sent, acknowledged and stored once through PostgreSQL, Redis and Kafka outages\n`);
    expect([a.child.exitCode, b.child.exitCode, c.child.exitCode]).toEqual([null, null, null]);
  });
});
