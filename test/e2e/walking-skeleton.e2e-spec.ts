import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import mqtt, { type MqttClient } from 'mqtt';
import { readLondonHouseholds, slotToReading, type HouseholdSlot } from '@wattline/datasets';
import {
  createTestDatabase,
  expectEventually,
  restClient,
  startPlatformProcess,
  testServices,
  type PlatformProcess,
} from '@wattline/testing';

/**
 * The walking skeleton end to end, over real sockets: REST provisioning, real mqtt.js
 * meters replaying real LCL households, the stream, PostgreSQL, pricing, the retained price
 * for a display that connects later, and the REST API — once with Kafka and an external
 * PostgreSQL, once on the embedded defaults.
 */
const HOMES = ['MAC000002', 'MAC000003', 'MAC000004'];
/** The history the first schedule is forecast from: one half hour the day before. */
const PRIME = Date.UTC(2013, 11, 2, 15, 0);
const FIRST = Date.UTC(2013, 11, 3, 0, 0);
const SLOTS = 6; // 00:00 to 03:00
const PRICING = {
  model: 'critical-peak-5',
  currency: 'GBP',
  levelPrices: ['3.99', '11.76', '20', '40', '67.20'],
  capacityKw: 4,
  thresholds: [0.5, 0.7, 0.85, 1.0],
};

/** The level the test expects, computed here from the CSV sums (not by the platform's code). */
function expectedLevel(demandWh: number): number {
  const utilisation = demandWh / (PRICING.capacityKw * 1000 * 0.5);
  return 1 + PRICING.thresholds.filter((t) => utilisation >= t).length;
}

async function loadSlots(): Promise<HouseholdSlot[]> {
  const slots: HouseholdSlot[] = [];
  for await (const slot of readLondonHouseholds({ households: (id) => HOMES.includes(id) })) {
    if ((slot.slotStart >= FIRST && slot.slotStart < FIRST + SLOTS * 1_800_000) || slot.slotStart === PRIME) slots.push(slot);
  }
  return slots;
}

const modes = [
  {
    name: 'Kafka and external PostgreSQL',
    setup: async () => {
      const db = await createTestDatabase({ empty: true });
      const prefix = `e2e${Date.now().toString(36)}.`;
      return {
        env: { KAFKA_BROKERS: testServices().kafkaBrokers, KAFKA_TOPIC_PREFIX: prefix, DATABASE_URL: db.url },
        prefix,
        cleanup: () => db.drop(),
      };
    },
  },
  {
    name: 'embedded defaults (in-process stream, embedded PostgreSQL)',
    setup: async () => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'wattline-e2e-'));
      return { env: { DATA_DIR: dataDir }, prefix: null, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
    },
  },
];

describe.each(modes)('walking skeleton on $name', ({ setup }) => {
  let platform: PlatformProcess;
  let context: Awaited<ReturnType<(typeof modes)[number]['setup']>>;
  let api: ReturnType<typeof restClient>;
  const clients: MqttClient[] = [];
  const passwords = new Map<string, string>();
  let slots: HouseholdSlot[];

  const connect = async (options: mqtt.IClientOptions) => {
    const client = await mqtt.connectAsync(platform.mqttUrl, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    slots = await loadSlots();
    context = await setup();
    platform = await startPlatformProcess({
      ...context.env,
      INTERVAL_SECONDS: '1800',
      // Historical data: nothing closes by the watermark; the region going quiet for 2 s closes it.
      ALLOWED_LATENESS_SECONDS: '86400',
      IDLE_CLOSE_SECONDS: '2',
      ALLOW_ANONYMOUS_DISPLAYS: 'true',
    });
    api = restClient(platform.httpUrl, platform.adminKey);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    const code = await platform?.stop();
    await context?.cleanup();
    expect(code).toBe(0); // a clean shutdown on SIGTERM
  });

  it('provisions a region and meters; credentials come back once', async () => {
    expect((await api.post('/v1/regions', { id: 'london', name: 'London (LCL trial)', pricing: PRICING })).status).toBe(201);
    for (const id of HOMES) {
      const res = await api.post('/v1/meters', { id, regionId: 'london' });
      expect(res.status).toBe(201);
      expect(res.body.mqtt).toMatchObject({ username: id, clientId: id, password: expect.any(String) });
      passwords.set(id, res.body.mqtt.password);
    }
    const meter = await api.get(`/v1/meters/${HOMES[0]}`);
    expect(meter.body).not.toHaveProperty('mqtt');
    expect(JSON.stringify(meter.body)).not.toContain(passwords.get(HOMES[0]));
    expect((await api.post('/v1/meters', { id: HOMES[0], regionId: 'london' })).status).toBe(409);
  });

  it('refuses a wrong password at CONNECT', async () => {
    await expect(connect({ clientId: HOMES[0], username: HOMES[0], password: 'not-the-password' })).rejects.toMatchObject({ code: 4 });
  });

  it('answers bad payloads on meters/{id}/errors and keeps them out of the aggregate', async () => {
    const id = HOMES[0];
    const meter = await connect({ clientId: id, username: id, password: passwords.get(id) });
    const errors: Record<string, unknown>[] = [];
    meter.on('message', (topic, payload) => topic === `meters/${id}/errors` && errors.push(JSON.parse(payload.toString())));
    await meter.subscribeAsync(`meters/${id}/errors`, { qos: 1 });
    await meter.publishAsync(`meters/${id}/readings`, 'this is not json', { qos: 1 });
    await meter.publishAsync(`meters/${id}/readings`, JSON.stringify({ ts: FIRST + 1_800_000, periodS: 1800, consumptionWh: -5 }), {
      qos: 1,
    });
    await expectEventually(() => (errors.length >= 2 ? true : undefined), { what: 'two error messages' });
    expect(errors).toEqual([
      { error: 'invalid_json', detail: expect.any(String), topic: `meters/${id}/readings` },
      { error: 'invalid_energy', detail: expect.stringContaining('consumptionWh'), topic: `meters/${id}/readings` },
    ]);
    const metrics = await fetch(`${platform.httpUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/wattline_readings_rejected_total\{error="invalid_json"\} 1/);
    // In either stream mode, kept in PostgreSQL for operators (GET /v1/dead-letters), newest first.
    const archived = await expectEventually(
      async () => {
        const items = (await api.get(`/v1/dead-letters?meterId=${id}`)).body.items as { error: string; payload: string; stream: string }[];
        return items.length >= 2 ? items : undefined;
      },
      { what: 'both letters archived' },
    );
    expect(archived.map((l) => [l.stream, l.error])).toEqual([
      ['readings', 'invalid_energy'],
      ['readings', 'invalid_json'],
    ]);
    expect(archived[1].payload).toBe('this is not json');
    if (context.prefix) {
      const letters = await readTopic(`${context.prefix}meter.readings.dlq`, 2);
      expect(letters.map((l) => [l.key, l.value.error])).toEqual([
        [id, 'invalid_json'],
        [id, 'invalid_energy'],
      ]);
      expect(letters[0].value.payload).toBe('this is not json');
    }
  });

  it('answers a batch element nested 5,000 levels deep on meters/{id}/errors and stores the rest of its batch', async () => {
    // A region of its own, so these readings are no part of London's history (its forecasts).
    await api.post('/v1/regions', { id: 'leeds', name: 'Leeds', pricing: PRICING });
    const id = 'nested-1';
    const { body } = await api.post('/v1/meters', { id, regionId: 'leeds' });
    const meter = await connect({ clientId: id, username: id, password: body.mqtt.password });
    const errors: Record<string, unknown>[] = [];
    meter.on('message', (topic, payload) => topic === `meters/${id}/errors` && errors.push(JSON.parse(payload.toString())));
    await meter.subscribeAsync(`meters/${id}/errors`, { qos: 1 });
    const day = Date.UTC(2013, 10, 30);
    const good = (n: number) => JSON.stringify({ ts: day + n * 1_800_000, periodS: 1800, consumptionWh: 100 + n });
    const deep = `{"ts":${'['.repeat(5000)}${']'.repeat(5000)},"periodS":1800,"consumptionWh":1}`;
    await meter.publishAsync(`meters/${id}/readings`, `{"readings":[${good(1)},${deep},${good(2)}]}`, { qos: 1 });
    await expectEventually(() => (errors.length >= 1 ? true : undefined), { what: 'the error message' });
    expect(errors).toEqual([
      { error: 'invalid_payload', detail: expect.stringContaining('nest deeper'), topic: `meters/${id}/readings`, index: 1 },
    ]);
    const stored = await expectEventually(
      async () => {
        const page = (await api.get(`/v1/meters/${id}/readings?from=2013-11-30T00:00:00Z&to=2013-12-01T00:00:00Z`)).body;
        return page.items?.length === 2 ? page.items : undefined;
      },
      { what: 'the two good readings' },
    );
    expect(stored.map((r: { consumptionWh: number }) => r.consumptionWh)).toEqual([101, 102]);
    expect(meter.connected).toBe(true);
  });

  it('refuses publishing as another meter and subscribing to another region', async () => {
    const id = HOMES[1];
    const meter = await connect({ clientId: id, username: id, password: passwords.get(id) });
    const granted = await meter.subscribeAsync('prices/london/current', { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1]);
    // SUBACK 0x80 [MQTT-3.9.3-2]; mqtt.js reports it as an error carrying the packet.
    await expect(meter.subscribeAsync('prices/paris/current', { qos: 1 })).rejects.toMatchObject({ packet: { granted: [128] } });
    const closed = new Promise<void>((resolve) => meter.once('close', () => resolve()));
    meter.publish(`meters/${HOMES[0]}/readings`, JSON.stringify({ ts: FIRST + 1_800_000, periodS: 1800, consumptionWh: 999 }), { qos: 1 });
    await closed; // [MQTT-3.3.5-2]: 3.1.1 cannot refuse a PUBLISH, so the connection is closed
  });

  it('turns real readings into exact interval sums, prices the next day ahead from them, and records what each interval turned out to be', async () => {
    const sent = async (at: (start: number) => boolean) => {
      // Three ways to send: one backlog batch (QoS 1), one reading at a time (QoS 1), QoS 2.
      for (const [index, id] of HOMES.entries()) {
        const meter = await connect({ clientId: id, username: id, password: passwords.get(id), clean: true });
        const mine = slots.filter((s) => s.lclId === id && at(s.slotStart)).map((s) => slotToReading(s));
        if (index === 0) await meter.publishAsync(`meters/${id}/readings`, JSON.stringify({ readings: mine }), { qos: 1 });
        else
          for (const reading of mine)
            await meter.publishAsync(`meters/${id}/readings`, JSON.stringify(reading), { qos: index === 1 ? 1 : 2 });
        await meter.endAsync();
      }
    };
    // History first: the afternoon before, closed once the region has been quiet for 2 s.
    await sent((start) => start === PRIME);
    const primeWh = slots.filter((s) => s.slotStart === PRIME).reduce((sum, s) => sum + s.consumptionWh, 0);
    await expectEventually(
      async () =>
        (await api.get(`/v1/regions/london/aggregates?from=${new Date(PRIME).toISOString()}`)).body.items?.[0]?.closed ? true : undefined,
      { what: 'the history interval closed' },
    );
    // Then the next day: its first reading passes the 16:00 cut-off in event time, and the whole day is priced from the forecast.
    await sent((start) => start >= FIRST);
    const range = `from=2013-12-03T00:00:00Z&to=2013-12-03T03:00:00Z`;
    const tariffs = await expectEventually(
      async () => {
        const res = await api.get(`/v1/regions/london/tariffs?${range}`);
        return res.body.items?.length === SLOTS ? res.body.items : undefined;
      },
      { what: `${SLOTS} tariffs`, timeoutMs: 30_000 },
    );
    const aggregates = await expectEventually(
      async () => {
        const items = (await api.get(`/v1/regions/london/aggregates?${range}`)).body.items;
        return items?.length === SLOTS &&
          items.every((a: { closed: boolean; expostLevel: number | null }) => a.closed && a.expostLevel !== null)
          ? items
          : undefined;
      },
      { what: `${SLOTS} closed intervals with their outcome` },
    );
    const expostLevels = new Set<number>();
    for (let slot = 0; slot < SLOTS; slot++) {
      const start = FIRST + slot * 1_800_000;
      const demandWh = slots.filter((s) => s.slotStart === start).reduce((sum, s) => sum + s.consumptionWh, 0);
      expect(aggregates[slot]).toMatchObject({
        intervalStart: new Date(start).toISOString(),
        readings: 3,
        metersReporting: 3,
        closed: true,
        expostLevel: expectedLevel(demandWh),
      });
      expect(aggregates[slot].demandWh).toBeCloseTo(demandWh, 3);
      expostLevels.add(aggregates[slot].expostLevel);
      // Priced ahead from the only history there was (the mean of the measured half hour), not from what came after.
      expect(tariffs[slot]).toMatchObject({
        regionId: 'london',
        currency: 'GBP',
        unit: 'kWh',
        level: expectedLevel(primeWh),
        model: 'critical-peak-5',
        basis: 'day-ahead',
        firm: true,
      });
      expect(tariffs[slot].forecastDemandWh).toBeCloseTo(primeWh, 3);
      expect(tariffs[slot].price).toBe(Number(PRICING.levelPrices[expectedLevel(primeWh) - 1]).toFixed(4));
    }
    expect(expostLevels.size).toBeGreaterThan(1); // the real load moves the level it would have had
  });

  it('keeps the latest price retained for a display that connects later, and serves it over REST', async () => {
    const display = await connect({ clientId: `display-${Date.now()}` }); // anonymous, read-only
    const received = new Promise<Record<string, unknown>>((resolve) =>
      display.on('message', (_topic, payload, packet) => packet.retain && resolve(JSON.parse(payload.toString()))),
    );
    await display.subscribeAsync('prices/london/current', { qos: 1 });
    const price = await received;
    const current = await api.get('/v1/regions/london/tariffs/current');
    expect(current.status).toBe(200);
    expect(price).toEqual(current.body);
    // The region's clock is at the newest reading (03:00): the firm price of 03:00-03:30 is in force.
    expect(price).toMatchObject({
      intervalStart: '2013-12-03T03:00:00.000Z',
      validFrom: '2013-12-03T03:00:00.000Z',
      validTo: '2013-12-03T03:30:00.000Z',
      basis: 'day-ahead',
      firm: true,
    });
  });

  it('serves health, metrics, the OpenAPI document, the docs and the web pages', async () => {
    const health = await api.get('/health');
    expect(health.body).toEqual({
      status: 'ok',
      checks: {
        database: { status: 'up', ...(context.prefix ? {} : { detail: 'embedded' }) },
        stream: { status: 'up', detail: context.prefix ? 'kafka' : 'in-process' },
      },
    });
    const openapi = await api.get('/openapi.json');
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining(['/v1/regions', '/v1/meters/{id}/bill', '/v1/regions/{id}/tariffs/current']),
    );
    expect(openapi.body.paths['/v1/meters'].post.requestBody.content['application/json'].schema.properties).toHaveProperty('regionId');
    for (const [route, marker] of [
      ['/docs', 'SwaggerUIBundle'],
      ['/docs/assets/swagger-ui-bundle.js', 'SwaggerUIBundle'],
      ['/display/london', 'prices/'],
      ['/dashboard', '/v1/regions/'],
      ['/assets/mqtt.min.js', 'mqtt'],
      ['/assets/chart.umd.js', 'Chart'],
    ]) {
      const res = await fetch(`${platform.httpUrl}${route}`);
      expect([route, res.status]).toEqual([route, 200]);
      expect(await res.text()).toContain(marker);
    }
    expect((await fetch(`${platform.httpUrl}/assets/..%2Fpackage.json`)).status).toBe(404);
  });

  it('bills a meter at the published prices', async () => {
    const bill = await api.get(`/v1/meters/${HOMES[2]}/bill?from=2013-12-03T00:00:00Z&to=2013-12-03T03:00:00Z`);
    expect(bill.status).toBe(200);
    const mine = slots.filter((s) => s.lclId === HOMES[2] && s.slotStart >= FIRST);
    expect(bill.body.consumptionWh).toBeCloseTo(
      mine.reduce((sum, s) => sum + s.consumptionWh, 0),
      3,
    );
    expect(bill.body.fallbackWh).toBe(0); // every half hour had a firm price
    expect(bill.body.intervals).toHaveLength(SLOTS);
    const cost = bill.body.intervals.reduce((sum: number, line: { cost: string }) => sum + Number(line.cost), 0);
    expect(Number(bill.body.energyCharge) + Number(bill.body.tax) - Number(bill.body.exportCredit)).toBeCloseTo(cost, 4);
    expect(Number(bill.body.total)).toBeCloseTo(cost, 4); // no standing charge in this region
    expect(bill.body.currency).toBe('GBP');
  });

  it('serves lists as CSV when asked', async () => {
    const csv = await api.get('/v1/regions/london/tariffs?from=2013-12-03T00:00:00Z&to=2013-12-03T03:00:00Z', { accept: 'text/csv' });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = csv.text.trim().split('\n');
    expect(lines[0].split(',')).toEqual(
      expect.arrayContaining(['regionId', 'intervalStart', 'validFrom', 'price', 'priceExTax', 'tax', 'level', 'basis']),
    );
    expect(lines).toHaveLength(SLOTS + 1);
  });
});

describe('live readings (ts = now) on the embedded defaults', () => {
  it('announces each next interval intraday before it starts, and the fallback (marked) until there is one', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'wattline-live-'));
    const platform = await startPlatformProcess({
      DATA_DIR: dataDir,
      INTERVAL_SECONDS: '2',
      ALLOWED_LATENESS_SECONDS: '1',
      IDLE_CLOSE_SECONDS: '1',
    });
    const api = restClient(platform.httpUrl, platform.adminKey);
    try {
      await api.post('/v1/regions', { id: 'kitakyushu', name: 'Kitakyushu', timezone: 'Asia/Tokyo' });
      const { body } = await api.post('/v1/meters', { id: 'meter-live', regionId: 'kitakyushu' });
      const meter = await mqtt.connectAsync(platform.mqttUrl, {
        clientId: 'meter-live',
        username: 'meter-live',
        password: body.mqtt.password,
        reconnectPeriod: 0,
      });
      const current: Record<string, unknown>[] = [];
      const ahead: { at: number; price: Record<string, unknown> }[] = [];
      meter.on('message', (topic, payload) => {
        const message = JSON.parse(payload.toString());
        if (topic.endsWith('/current')) current.push(message);
        else for (const price of message.intervals) ahead.push({ at: Date.now(), price });
      });
      await meter.subscribeAsync(['prices/kitakyushu/current', 'prices/kitakyushu/forecast'], { qos: 1 });
      const deadline = Date.now() + 20_000;
      while (!current.some((p) => p.basis === 'intraday') && Date.now() < deadline) {
        await meter.publishAsync('meters/meter-live/readings', JSON.stringify({ ts: Date.now(), periodS: 1, consumptionWh: 2 }), {
          qos: 1,
        });
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      // Before any price was announced ahead, the display was told it is on the fallback rate.
      expect(current[0]).toMatchObject({ regionId: 'kitakyushu', basis: 'fallback', firm: false, price: '75.0000', level: 3 });
      const firm = current.find((p) => p.basis === 'intraday')!;
      expect(firm).toMatchObject({ regionId: 'kitakyushu', currency: 'JPY', level: 1, price: '15.0000', firm: true });
      expect(Date.parse(firm.validTo as string) - Date.parse(firm.validFrom as string)).toBe(2000);
      // It had been announced on the forecast topic before its interval started.
      const announced = ahead.find((a) => a.price.validFrom === firm.validFrom)!;
      expect(announced.at).toBeLessThanOrEqual(Date.parse(firm.validFrom as string));
      const listed = await api.get(`/v1/regions/kitakyushu/tariffs?from=${new Date(Date.now() - 60_000).toISOString()}`);
      expect(listed.body.items.map((t: { intervalStart: string }) => t.intervalStart)).toContain(firm.intervalStart);

      // A reading for an interval already closed is stored late: the aggregate gets a new
      // version and the revision trail says by how much, by whom and when.
      const since = new Date(Date.now() - 60_000).toISOString();
      const closed = await expectEventually(
        async () =>
          (await api.get(`/v1/regions/kitakyushu/aggregates?from=${since}`)).body.items.find((a: { closed: boolean }) => a.closed),
        { what: 'a closed interval' },
      );
      await meter.publishAsync(
        'meters/meter-live/readings',
        // Its second lies wholly inside the closed interval (a period is spread over the intervals it covers).
        JSON.stringify({ ts: Date.parse(closed.intervalStart) + 1000, periodS: 1, consumptionWh: 7 }),
        { qos: 1 },
      );
      const revision = await expectEventually(
        async () =>
          (await api.get(`/v1/regions/kitakyushu/revisions?from=${since}`)).body.items.find(
            (r: { intervalStart: string }) => r.intervalStart === closed.intervalStart,
          ),
        { what: 'the revision' },
      );
      expect(revision).toMatchObject({
        regionId: 'kitakyushu',
        version: closed.version + 1,
        demandDeltaWh: 7,
        supplyDeltaWh: 0,
        readingsDelta: 1,
        reason: 'late readings',
      });
      const revised = (await api.get(`/v1/regions/kitakyushu/aggregates?from=${closed.intervalStart}&to=${closed.intervalEnd}`)).body
        .items[0];
      expect(revised).toMatchObject({ version: closed.version + 1, lateReadings: closed.lateReadings + 1 });
      // Exact in the store (numeric); the sum here is a float (4.748 + 7 is 11.748000000000001).
      expect(revised.demandWh).toBeCloseTo(closed.demandWh + 7, 6);
      expect((await api.get(`/v1/regions/kitakyushu/revisions?from=${since}`, { accept: 'text/csv' })).text.split('\n')[0]).toBe(
        'regionId,intervalStart,version,demandDeltaWh,supplyDeltaWh,readingsDelta,reason,revisedBy,revisedAt',
      );
      await meter.endAsync();
    } finally {
      await platform.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

async function readTopic(topic: string, count: number): Promise<{ key: string; value: Record<string, unknown> }[]> {
  const kafka = new Kafka({ brokers: testServices().kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `e2e-reader-${Math.random().toString(36).slice(2)}` });
  const seen: { key: string; value: Record<string, unknown>; offset: bigint; partition: number }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      seen.push({ key: message.key!.toString(), value: JSON.parse(message.value!.toString()), offset: BigInt(message.offset), partition });
    },
  });
  try {
    await expectEventually(() => (seen.length >= count ? true : undefined), { what: `${count} records on ${topic}` });
  } finally {
    await consumer.disconnect();
  }
  // One meter, one key, one partition: offsets give the order.
  return seen.sort((a, b) => Number(a.offset - b.offset)).map(({ key, value }) => ({ key, value }));
}
