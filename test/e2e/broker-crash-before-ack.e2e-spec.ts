import path from 'node:path';
import mqtt from 'mqtt';
import { readLondonHouseholds, slotToReading, type HouseholdSlot } from '@wattline/datasets';
import { REPO_ROOT, createTestDatabase, expectEventually, restClient, startPlatformProcess, type PlatformProcess } from '@wattline/testing';

/**
 * At-least-once from meter to Kafka: a broker SIGKILLed after it received a QoS 1 reading but
 * before it acknowledged it (Kafka is frozen with SIGSTOP, so the produce cannot complete and
 * no PUBACK can be written) loses nothing — the meter resends to the restarted broker — and
 * the reading is counted once. This file runs its own Kafka, since it freezes it.
 */
const METER = 'MAC000002';

describe('a broker killed between receiving and acknowledging a QoS 1 reading', () => {
  let kafka: { brokers: string[]; pid: number; stop(): Promise<void> };
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;
  let slots: HouseholdSlot[];

  beforeAll(async () => {
    const { startKafka } = require(path.join(REPO_ROOT, 'scripts', 'kafka', 'kafka.cjs'));
    kafka = await startKafka({ dir: path.join(REPO_ROOT, '.data', `kafka-crash-${process.pid}`), log: () => undefined });
    db = await createTestDatabase({ empty: true });
    slots = [];
    for await (const slot of readLondonHouseholds({ households: (id) => id === METER })) if (slots.length < 3) slots.push(slot);
  });

  afterAll(async () => {
    try {
      process.kill(kafka.pid, 'SIGCONT');
    } catch {
      // already running or gone
    }
    await platform?.stop();
    await kafka?.stop();
    await db?.drop();
  });

  it('loses nothing and counts the resent reading once', async () => {
    const env = {
      KAFKA_BROKERS: kafka.brokers.join(','),
      KAFKA_TOPIC_PREFIX: 'crash.',
      DATABASE_URL: db.url,
      ALLOWED_LATENESS_SECONDS: '86400',
      IDLE_CLOSE_SECONDS: '3600',
    };
    platform = await startPlatformProcess(env);
    const api = restClient(platform.httpUrl, platform.adminKey);
    await api.post('/v1/regions', { id: 'london', name: 'London' });
    const { body } = await api.post('/v1/meters', { id: METER, regionId: 'london' });
    const meter = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: METER,
      username: METER,
      password: body.mqtt.password,
      clean: false,
      reconnectPeriod: 300,
    });
    await meter.publishAsync(`meters/${METER}/readings`, JSON.stringify(slotToReading(slots[0])), { qos: 1 });

    process.kill(kafka.pid, 'SIGSTOP');
    const acked = meter.publishAsync(`meters/${METER}/readings`, JSON.stringify(slotToReading(slots[1])), { qos: 1 });
    let settled = false;
    void acked.then(() => (settled = true));
    // The broker has the PUBLISH in hand (it counts it before the ingest it cannot finish).
    await expectEventually(
      async () => {
        const metrics = await fetch(`${platform.httpUrl}/metrics`).then((r) => r.text());
        return /wattline_mqtt_publish_received_total 2\b/.test(metrics) ? true : undefined;
      },
      { what: 'the broker to receive the second reading' },
    );
    expect(settled).toBe(false); // no PUBACK while Kafka is frozen
    expect(await platform.kill('SIGKILL')).toBeNull();
    process.kill(kafka.pid, 'SIGCONT');

    platform = await startPlatformProcess({ ...env, ADMIN_API_KEY: platform.adminKey }, { ports: platform.ports });
    await acked; // mqtt.js reconnects and resends the unacknowledged PUBLISH (DUP set)
    const restarted = restClient(platform.httpUrl, platform.adminKey);
    const range = 'from=2013-12-02T00:00:00Z&to=2013-12-03T00:00:00Z';
    const readings = await expectEventually(
      async () => {
        const page = (await restarted.get(`/v1/meters/${METER}/readings?${range}`)).body;
        return page.items?.length === 2 ? page.items : undefined;
      },
      { what: 'both readings stored', timeoutMs: 60_000 },
    );
    expect(readings.map((r: { consumptionWh: number }) => r.consumptionWh)).toEqual([slots[0].consumptionWh, slots[1].consumptionWh]);
    const aggregates = (await restarted.get(`/v1/regions/london/aggregates?${range}`)).body.items;
    expect(aggregates.map((a: { readings: number; demandWh: number }) => [a.readings, a.demandWh])).toEqual([
      [1, slots[0].consumptionWh],
      [1, slots[1].consumptionWh],
    ]);
    await meter.endAsync();
  });
});
