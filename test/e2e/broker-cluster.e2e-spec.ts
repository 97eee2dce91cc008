import mqtt, { type MqttClient } from 'mqtt';
import { readLondonHouseholds, slotToReading, type HouseholdSlot } from '@wattline/datasets';
import {
  createTestDatabase,
  expectEventually,
  regionTotals,
  restClient,
  startPlatformProcess,
  startRedis,
  testServices,
  type PlatformProcess,
} from '@wattline/testing';

/**
 * MQTT_WORKERS=2: the broker app as two processes on one machine sharing its listeners
 * (node:cluster hands connections to the workers in turn), their state in Redis as
 * scaled-out instances share it. The all-in-one process beside it provisions over REST and
 * aggregates what the workers hand to Kafka. Real sockets, real mqtt.js clients.
 */
const METER = 'MAC000002';
const metric = (text: string, name: string) => Number(new RegExp(`^${name} ([0-9.e+-]+)`, 'm').exec(text)?.[1] ?? NaN);

describe('broker workers sharing one listener (MQTT_WORKERS)', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;
  let cluster: PlatformProcess | undefined;
  let password: string;
  let slots: HouseholdSlot[];
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    slots = [];
    for await (const slot of readLondonHouseholds({ households: (id) => id === METER })) slots.push(slot);
    redis = await startRedis();
    db = await createTestDatabase({ empty: true });
    const env = {
      KAFKA_BROKERS: testServices().kafkaBrokers,
      KAFKA_TOPIC_PREFIX: `cluster${Date.now().toString(36)}.`,
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      ALLOWED_LATENESS_SECONDS: '86400',
      IDLE_CLOSE_SECONDS: '3600',
    };
    platform = await startPlatformProcess(env);
    const api = restClient(platform.httpUrl, platform.adminKey);
    await api.post('/v1/regions', { id: 'london', name: 'London' });
    password = (await api.post('/v1/meters', { id: METER, regionId: 'london' })).body.mqtt.password;
    cluster = await startPlatformProcess({ ...env, MQTT_WORKERS: '2', LOG_LEVEL: 'log' }, { app: 'broker', readyLine: /2 workers up/ });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await cluster?.stop();
    await platform?.stop();
    await redis?.stop();
    await db?.drop();
  });

  const connect = async (clean: boolean) => {
    const client = await mqtt.connectAsync(cluster!.mqttUrl, {
      clientId: METER,
      username: METER,
      password,
      clean,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    clients.push(client);
    return client;
  };

  it('answers /health for both workers and keeps a persistent session across them', async () => {
    const health = await fetch(`${cluster!.httpUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', workers: 2 });

    // Consecutive connections go to the workers in turn: the session made on one is found on the other.
    const first = await connect(false);
    await first.subscribeAsync(`meters/${METER}/errors`, { qos: 1 });
    await first.endAsync();
    // The next connection lands on the other worker, which finds the session in Redis.
    const sessionPresent = await new Promise<boolean>((resolve, reject) => {
      const second = mqtt.connect(cluster!.mqttUrl, {
        clientId: METER,
        username: METER,
        password,
        clean: false,
        reconnectPeriod: 0,
        connectTimeout: 10_000,
      });
      clients.push(second);
      second.once('connect', (connack) => resolve(connack.sessionPresent));
      second.once('error', reject);
    });
    expect(sessionPresent).toBe(true);
  });

  it('acknowledges readings on either worker only once they are in Kafka, and the aggregator stores each once', async () => {
    const meter = await connect(true);
    for (const slot of slots.slice(0, 10))
      await meter.publishAsync(`meters/${METER}/readings`, JSON.stringify(slotToReading(slot)), { qos: 1 });
    const again = await connect(true);
    for (const slot of slots.slice(10, 20))
      await again.publishAsync(`meters/${METER}/readings`, JSON.stringify(slotToReading(slot)), { qos: 1 });
    const expectedWh = slots.slice(0, 20).reduce((sum, s) => sum + s.consumptionWh, 0);
    const api = restClient(platform.httpUrl, platform.adminKey);
    await expectEventually(
      async () => {
        const totals = await regionTotals(api, 'london', 'from=2013-12-01T00:00:00Z&to=2014-01-01T00:00:00Z');
        return totals.readings === 20 ? totals : undefined;
      },
      { what: 'the 20 readings aggregated', timeoutMs: 30_000 },
    ).then((totals) => expect(totals.demandWh).toBeCloseTo(expectedWh, 6));

    // /metrics sums the workers: every reading accepted was counted by one of them.
    const text = await fetch(`${cluster!.httpUrl}/metrics`).then((r) => r.text());
    expect(metric(text, 'wattline_readings_accepted_total')).toBe(20);
  });

  it('drains both workers on SIGTERM and exits 0', async () => {
    expect(await cluster!.stop()).toBe(0);
    cluster = undefined;
  });
});
