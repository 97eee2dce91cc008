import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { readLondonHouseholds, slotToReading, type HouseholdSlot } from '@wattline/datasets';
import {
  REPO_ROOT,
  createTestDatabase,
  expectEventually,
  lclCriticalPeak,
  restClient,
  startPlatformProcess,
  testServices,
  type PlatformProcess,
} from '@wattline/testing';

/**
 * The meters do not wait on the API (#23). In the all-in-one process the REST API, the public
 * endpoint and the broker share one event loop. While the heaviest requests the API allows run
 * back to back — a year's bill by the half hour, a region's bills over 92 days, a 92-day
 * simulation, the 366-day response analysis, and a flood of keyless requests at the public
 * endpoint — a meter publishes a reading every 100 ms at QoS 1 and each PUBACK is timed. Before,
 * one over-long bill held a PUBACK for 140 s; the bounds here are a median under 0.5 s and every PUBACK
 * under 5 s; the latencies are printed
 * and written to test-output/hostile-load.json.
 *
 * Data: 20 real LCL households over 2–29 Dec 2013. The year-long meter is one of them, its four
 * real weeks repeated over 2013 (a year of half hours to bill; the values are real, their dates
 * are not).
 */
const HALF = 1_800_000;
const DEC2 = Date.UTC(2013, 11, 2);
const WEEKS4 = 28 * 48;
const HOUSEHOLDS = 20;
const LOAD_MS = Number(process.env.HOSTILE_LOAD_MS ?? 15_000);
// Bounds with room for a loaded two-core machine (Kafka, PostgreSQL, the worker thread and this
// client share it): measured alone p50 13–159 ms and max 1.3–1.4 s with the worker pool, and
// p50 1.9 s, max 3.4 s with the arithmetic on the event loop (API_COMPUTE_THREADS=0), which the
// p50 bound refuses.
const PUBACK_P50_BOUND_MS = 500;
const PUBACK_BOUND_MS = 5000;
const PRICING = lclCriticalPeak(10);

async function publishAll(client: MqttClient, id: string, readings: ReturnType<typeof slotToReading>[]): Promise<void> {
  for (let i = 0; i < readings.length; i += 100)
    await client.publishAsync(`meters/${id}/readings`, JSON.stringify({ readings: readings.slice(i, i + 100) }), { qos: 1 });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

describe('a meter under the heaviest API load', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    platform = await startPlatformProcess({
      KAFKA_BROKERS: testServices().kafkaBrokers,
      KAFKA_TOPIC_PREFIX: `load${Date.now().toString(36)}.`,
      DATABASE_URL: db.url,
      ALLOWED_LATENESS_SECONDS: '31536000',
      MQTT_MAX_PUBLISH_RATE: '100000',
      // Left to the default unless given (API_COMPUTE_THREADS=0 measures the event loop doing the arithmetic itself).
      API_COMPUTE_THREADS: process.env.API_COMPUTE_THREADS,
    });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await platform?.stop();
    await db?.drop();
  });

  it(`holds the PUBACKs to a median under ${PUBACK_P50_BOUND_MS} ms, each under ${PUBACK_BOUND_MS} ms, while the heaviest allowed requests run`, async () => {
    const api = restClient(platform.httpUrl, platform.adminKey);
    await api.post('/v1/regions', { id: 'london', name: 'London', timezone: 'Europe/London', pricing: PRICING });
    await api.post('/v1/regions', { id: 'yearly', name: 'A year of one household', timezone: 'Europe/London', pricing: PRICING });
    const slots = new Map<string, HouseholdSlot[]>();
    for await (const slot of readLondonHouseholds()) {
      if (slot.slotStart < DEC2 || slot.slotStart >= DEC2 + WEEKS4 * HALF) continue;
      if (!slots.has(slot.lclId) && slots.size === HOUSEHOLDS) continue;
      slots.set(slot.lclId, [...(slots.get(slot.lclId) ?? []), slot]);
    }
    const connect = async (id: string, regionId: string) => {
      const { body } = await api.post('/v1/meters', { id, regionId });
      const client = await mqtt.connectAsync(platform.mqttUrl, {
        clientId: id,
        username: id,
        password: body.mqtt.password,
        reconnectPeriod: 0,
      });
      clients.push(client);
      return client;
    };
    const started = Date.now();
    await Promise.all(
      [...slots].map(async ([id, own]) =>
        publishAll(
          await connect(id, 'london'),
          id,
          own.sort((a, b) => a.slotStart - b.slotStart).map((s) => slotToReading(s)),
        ),
      ),
    );
    const [, first] = [...slots][0];
    const yearStart = Date.UTC(2013, 0, 1);
    const year = Array.from({ length: 13 }, (_, r) =>
      first.map((s) => slotToReading({ ...s, slotStart: yearStart + r * WEEKS4 * HALF + (s.slotStart - DEC2) })),
    ).flat();
    await publishAll(await connect('YEAR', 'yearly'), 'YEAR', year);
    const yearWh = year.reduce((sum, r) => sum + r.consumptionWh, 0);
    const readingsSent = HOUSEHOLDS * WEEKS4 + year.length;
    process.stderr.write(`hostile load: ${readingsSent} readings ingested in ${Date.now() - started} ms\n`);
    await expectEventually(
      async () => {
        const { status, body } = await api.get('/v1/meters/YEAR/bill?from=2013-01-01T00:00:00Z&to=2014-01-01T00:00:00Z&groupBy=month');
        if (status !== 200) throw new Error(`${status} ${JSON.stringify(body)}`);
        return Math.abs(body.consumptionWh - yearWh) < 0.01 ? true : undefined;
      },
      { what: `the year meter's ${year.length} readings stored`, timeoutMs: 60_000 },
    );

    // The probe meter: a reading every 100 ms, each PUBACK timed.
    const probe = await connect('PROBE', 'london');
    const latencies: number[] = [];
    let stop = false;
    const probing = (async () => {
      for (let i = 0; !stop; i++) {
        const sentAt = performance.now();
        await probe.publishAsync('meters/PROBE/readings', JSON.stringify({ ts: DEC2 + (i + 1) * 1000, periodS: 1, consumptionWh: 1 }), {
          qos: 1,
        });
        latencies.push(performance.now() - sentAt);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const baseline = [...latencies];

    // The heaviest requests the API allows, each kind back to back on two connections, with a keyless flood beside them.
    const analyst = restClient(platform.httpUrl, platform.adminKey);
    const heavy: Record<string, () => Promise<{ status: number }>> = {
      yearBillByHalfHour: () => analyst.get('/v1/meters/YEAR/bill?from=2013-01-01T00:00:00Z&to=2014-01-01T00:00:00Z&groupBy=interval'),
      regionBills92Days: () => analyst.get('/v1/regions/london/bills?from=2013-10-01T00:00:00Z&to=2014-01-01T00:00:00Z&limit=10000'),
      simulation92Days: () =>
        analyst.post('/v1/regions/london/simulations', {
          from: '2013-10-01T00:00:00Z',
          to: '2014-01-01T00:00:00Z',
          pricing: { ...PRICING, capacityKw: 5 },
        }),
      response366Days: () => analyst.get('/v1/regions/london/response?from=2013-01-01T00:00:00Z&to=2014-01-01T00:00:00Z'),
      publicRates: () =>
        fetch(`${platform.httpUrl}/v1/products/london/electricity-tariffs/E-1R-WATTLINE-LONDON/standard-unit-rates/?page_size=1500`),
    };
    const answered: Record<string, Record<number, number>> = {};
    const timings: Record<string, number[]> = {};
    const deadline = Date.now() + LOAD_MS;
    const loops = Object.entries(heavy).flatMap(([name, call]) =>
      Array.from({ length: name === 'publicRates' ? 50 : 2 }, async () => {
        while (Date.now() < deadline) {
          const at = performance.now();
          const { status } = await call();
          (timings[name] ??= []).push(performance.now() - at);
          (answered[name] ??= {})[status] = (answered[name][status] ?? 0) + 1;
        }
      }),
    );
    const loadFrom = latencies.length;
    await Promise.all(loops);
    const underLoad = latencies.slice(loadFrom);
    stop = true;
    await probing;

    const sorted = [...underLoad].sort((a, b) => a - b);
    const report = {
      loadMs: LOAD_MS,
      computeThreads: process.env.API_COMPUTE_THREADS ?? 'default (1)',
      pubacks: sorted.length,
      pubackMs: {
        idleP50: percentile(
          [...baseline].sort((a, b) => a - b),
          50,
        ),
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        max: sorted.at(-1),
      },
      answered,
      requestMs: Object.fromEntries(
        Object.entries(timings).map(([k, v]) => [
          k,
          percentile(
            v.sort((a, b) => a - b),
            50,
          ),
        ]),
      ),
    };
    process.stderr.write(`hostile load: ${JSON.stringify(report)}\n`);
    mkdirSync(path.join(REPO_ROOT, 'test-output'), { recursive: true });
    writeFileSync(path.join(REPO_ROOT, 'test-output', 'hostile-load.json'), `${JSON.stringify(report, null, 2)}\n`);

    // Every heavy kind was answered (not refused wholesale), the public flood was rate limited, and no PUBACK waited past the bound.
    for (const name of ['yearBillByHalfHour', 'regionBills92Days', 'simulation92Days', 'response366Days'])
      expect([name, (answered[name]?.[200] ?? 0) > 0]).toEqual([name, true]);
    expect(answered.publicRates[429]).toBeGreaterThan(0);
    expect(sorted.length).toBeGreaterThan(LOAD_MS / 1000);
    expect(percentile(sorted, 50)).toBeLessThan(PUBACK_P50_BOUND_MS);
    expect(sorted.at(-1)).toBeLessThan(PUBACK_BOUND_MS);
  });
});
