import net from 'node:net';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { readLondonHouseholds } from '@wattline/datasets';
import {
  MeterFleet,
  REPO_ROOT,
  createTestDatabase,
  expectEventually,
  regionTotals,
  restClient,
  startPlatformProcess,
  startRedis,
  startTcpProxy,
  type PlatformProcess,
} from '@wattline/testing';

/**
 * The fault suite (`npm run test:faults`): a city of 1,000 meters — the 79 real London
 * households replayed under 1,000 meter ids — publishing QoS 1 readings through two broker
 * instances (A: broker, aggregator and API; B: a broker) sharing Redis, Kafka and PostgreSQL,
 * while faults are injected one after another. Every case ends in an exact count: published =
 * acknowledged = stored once = in the aggregates and in the bills.
 */
const METERS = Number(process.env.FAULT_METERS ?? 1000);
const DECEMBER = 'from=2013-12-01T00:00:00Z&to=2014-01-01T00:00:00Z';
const results: { fault: string; load: string; sent: number; acked: number; note: string }[] = [];

describe('a city of meters through broker, Kafka, aggregator, PostgreSQL and Redis faults', () => {
  let kafka: { brokers: string[]; pid: number; stop(): Promise<void>; kill(): Promise<void>; restart(): Promise<void> };
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let a: PlatformProcess;
  let b: PlatformProcess;
  let env: Record<string, string>;
  let fleet: MeterFleet;
  let frozen: net.Socket;
  const displays: MqttClient[] = [];
  const startA = (ports?: PlatformProcess['ports']) => startPlatformProcess({ ...env, ADMIN_API_KEY: 'faults-admin-key-0001' }, { ports });
  const startB = (ports?: PlatformProcess['ports']) =>
    startPlatformProcess(
      { ...env, ADMIN_API_KEY: 'faults-admin-key-0001', LOG_LEVEL: 'log' },
      { app: 'broker', readyLine: /MQTT on/, ports },
    );
  const record = (fault: string, note: string) => {
    const { sent, acked } = fleet.totals;
    results.push({ fault, load: `${METERS} meters, QoS 1`, sent, acked, note });
    process.stderr.write(`faults: ${fault}: ${sent} sent, ${acked} acknowledged so far (${note})\n`);
  };
  const progress = async (what: string, more = METERS) => {
    const from = fleet.totals.acked;
    await expectEventually(() => (fleet.totals.acked >= from + more ? true : undefined), { what, timeoutMs: 120_000 });
  };

  beforeAll(async () => {
    const { startKafka } = require(path.join(REPO_ROOT, 'scripts', 'kafka', 'kafka.cjs'));
    kafka = await startKafka({ dir: path.join(REPO_ROOT, '.data', `kafka-faults-${process.pid}`), log: () => undefined });
    redis = await startRedis({ persistent: true });
    db = await createTestDatabase({ empty: true });
    const target = new URL(db.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const proxied = new URL(db.url);
    proxied.port = String(proxy.port);
    env = {
      KAFKA_BROKERS: kafka.brokers.join(','),
      KAFKA_TOPIC_PREFIX: 'faults.',
      DATABASE_URL: proxied.toString(),
      REDIS_URL: redis.url,
      MQTT_MAX_PUBLISH_RATE: '10000',
      ALLOWED_LATENESS_SECONDS: '0',
      IDLE_CLOSE_SECONDS: '3600',
      ALLOW_ANONYMOUS_DISPLAYS: 'true',
    };
    a = await startA();
    b = await startB();
    const api = restClient(a.httpUrl, 'faults-admin-key-0001');
    await api.post('/v1/regions', { id: 'london', name: 'London' });
    const households: string[] = [];
    for await (const slot of readLondonHouseholds()) if (!households.includes(slot.lclId)) households.push(slot.lclId);
    const meters: { id: string; password: string; household: string }[] = [];
    for (let i = 0; i < METERS; i += 8) {
      await Promise.all(
        Array.from({ length: Math.min(8, METERS - i) }, async (_, k) => {
          const id = `m${String(i + k).padStart(4, '0')}`;
          const { body } = await api.post('/v1/meters', { id, regionId: 'london' });
          meters.push({ id, password: body.mqtt.password, household: households[(i + k) % households.length] });
        }),
      );
    }
    meters.sort((x, y) => x.id.localeCompare(y.id));
    const servers = (first: PlatformProcess, second: PlatformProcess) =>
      [first, second].map((p) => ({ host: '127.0.0.1', port: p.ports.mqtt }));
    const half = Math.floor(meters.length / 2);
    const onB = await MeterFleet.connect(() => b.mqttUrl, meters.slice(0, half), { servers: servers(b, a) });
    const onA = await MeterFleet.connect(() => a.mqttUrl, meters.slice(half), { servers: servers(a, b) });
    fleet = MeterFleet.merge([onB, onA]);
    // A display that stops reading its socket, and twenty that keep reading.
    frozen = net.connect(a.ports.mqtt, '127.0.0.1');
    frozen.on('error', () => undefined);
    frozen.write(
      mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'frozen', clean: true, keepalive: 0 }),
    );
    frozen.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'prices/#', qos: 1 }] }));
    frozen.pause(); // never reads again
    for (let i = 0; i < 20; i++)
      displays.push(
        await mqtt.connectAsync(i % 2 ? a.mqttUrl : b.mqttUrl, {
          clientId: `display-${i}`,
          reconnectPeriod: 300,
          servers: i % 2 ? servers(a, b) : servers(b, a),
        }),
      );
  });

  afterEach(async () => {
    // After every case both processes are alive and healthy again (every dependency reachable,
    // every consumer running): one that died on its own is a finding, shown with why, and fails
    // the case instead of taking the later cases down with it.
    for (const [name, p] of [
      ['A', a],
      ['B', b],
    ] as const) {
      if (p && p.child.exitCode !== null && p.child.signalCode === null)
        process.stderr.write(`faults: ${name} exited with ${p.child.exitCode}:\n${p.output().slice(-4000)}\n`);
      expect([name, p.child.exitCode, p.child.signalCode]).toEqual([name, null, null]);
      await expectEventually(async () => ((await fetch(`${p.httpUrl}/health`)).status === 200 ? true : undefined), {
        what: `${name} healthy after the case`,
        timeoutMs: 60_000,
      });
    }
  });

  afterAll(async () => {
    frozen?.destroy();
    await Promise.all(displays.map((d) => d.endAsync(true).catch(() => undefined)));
    await fleet?.close();
    proxy?.resume();
    for (const p of [b, a]) await p?.stop();
    await proxy?.close();
    await redis?.stop();
    await kafka?.stop();
    await db?.drop();
    if (results.length > 0)
      process.stderr.write(
        `\n| fault | load | sent | acknowledged | note |\n|---|---|---|---|---|\n${results.map((r) => `| ${r.fault} | ${r.load} | ${r.sent} | ${r.acked} | ${r.note} |`).join('\n')}\n`,
      );
  });

  it('carries on when one of two brokers is SIGKILLed: its meters reconnect to the other with their sessions', async () => {
    fleet.start(2000);
    await progress('load on both brokers');
    expect(await b.kill('SIGKILL')).toBeNull();
    await progress('meters of B acknowledged by A', METERS);
    record('broker B SIGKILLed', `its ${Math.floor(METERS / 2)} meters reconnected to A`);
    b = await startB(b.ports);
  });

  it('waits out Kafka SIGKILLed and restarted: acknowledgements wait, nothing is lost', async () => {
    await kafka.kill();
    const stalled = fleet.totals.acked;
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(fleet.totals.acked - stalled).toBeLessThan(METERS); // at most what was in flight
    await kafka.restart();
    await progress('acknowledgements after Kafka came back');
    record('Kafka SIGKILLed 5 s, restarted on its data', 'acknowledgements waited');
  });

  it('survives the all-in-one (broker and aggregator) SIGKILLed mid-interval', async () => {
    expect(await a.kill('SIGKILL')).toBeNull();
    await progress('meters of A acknowledged by B');
    a = await startA(a.ports);
    await progress('load on both again');
    record('A (broker + aggregator) SIGKILLed, restarted', 'meters moved to B and back');
  });

  it('waits out PostgreSQL unreachable for 30 s', async () => {
    proxy.pause();
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    proxy.resume();
    await progress('storing after PostgreSQL came back');
    record('PostgreSQL unreachable 30 s', 'acknowledged through Kafka meanwhile');
  });

  it('gets sessions and retained prices back after Redis restarts under both brokers, and displays keep their price', async () => {
    const priceBefore = await expectEventually(
      async () => (await restClient(a.httpUrl, 'faults-admin-key-0001').get('/v1/regions/london/tariffs/current')).body?.price,
      { what: 'a price' },
    );
    await redis.stop();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await redis.restart();
    await progress('acknowledgements after Redis came back');
    const fresh = await mqtt.connectAsync(b.mqttUrl, { clientId: 'display-late', reconnectPeriod: 0 });
    const retained = new Promise<string>((resolve) => fresh.on('message', (_t, payload) => resolve(JSON.parse(payload.toString()).price)));
    await fresh.subscribeAsync('prices/london/current', { qos: 1 });
    expect(typeof (await retained)).toBe('string');
    await fresh.endAsync();
    record('Redis restarted (AOF) under both brokers', `a display connecting after got a retained price (before: ${priceBefore})`);
  });

  it('ends exact: published = acknowledged = stored once = in aggregates and bills; a frozen display slowed nobody', async () => {
    await fleet.settle();
    const { sent, acked } = fleet.totals;
    expect(acked).toBe(sent);
    const api = restClient(a.httpUrl, 'faults-admin-key-0001');
    const totals = await expectEventually(
      async () => {
        const t = await regionTotals(api, 'london', DECEMBER);
        return t.readings >= sent ? t : undefined;
      },
      { what: `${sent} readings stored`, timeoutMs: 180_000 },
    );
    expect(totals.readings).toBe(sent);
    expect(totals.demandWh).toBeCloseTo(fleet.sentWh(), 2);
    for (const id of [...fleet.clients.keys()].filter((_, i) => i % 100 === 0)) {
      const bill = (await api.get(`/v1/meters/${id}/bill?${DECEMBER}`)).body;
      expect([id, bill.consumptionWh]).toEqual([id, expect.closeTo(fleet.sentWhOf(id), 3)]);
    }
    // Every live display has the price now in force.
    const current = (await api.get('/v1/regions/london/tariffs/current')).body;
    const seen = await Promise.all(
      displays.map(
        (display) =>
          new Promise<string>((resolve) => {
            display.once('message', (_t, payload) => resolve(JSON.parse(payload.toString()).intervalStart));
            void display.subscribeAsync('prices/london/current', { qos: 1 });
          }),
      ),
    );
    expect(new Set(seen)).toEqual(new Set([current.intervalStart]));
    record('end', `stored ${totals.readings} once; aggregates and sampled bills equal what was sent`);
  });
});
