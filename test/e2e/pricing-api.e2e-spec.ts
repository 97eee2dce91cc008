import mqtt from 'mqtt';
import { createTestDatabase, expectEventually, restClient, startPlatformProcess, type PlatformProcess } from '@wattline/testing';

/**
 * The pricing surface of the REST API on real PostgreSQL: wholesale-indexed prices from an
 * uploaded series (JSON and CSV), pricing versions that never reach back into announced prices,
 * critical-peak events with their notice deadline and yearly budget, explanations, forecasts,
 * and the errors of each (problem+json naming what to fix).
 */
const AGILE = {
  model: 'wholesale-indexed',
  currency: 'GBP',
  multiplier: '2.2',
  peakAdder: '0.12',
  peakFrom: '16:00',
  peakTo: '19:00',
  cap: '0.35',
  taxRate: '0.05',
  fallbackPrice: '0.20',
};
const DAY = Date.UTC(2013, 11, 3);
const HALF = 1_800_000;
/** A test fixture, not market data (data/ holds no wholesale series): 0.00 to 0.09 GBP/kWh in steps. */
const wholesale = (i: number) => ((i % 10) / 100).toFixed(2);

describe('pricing API', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;
  let admin: ReturnType<typeof restClient>;
  let analyst: ReturnType<typeof restClient>;

  /** Moves a region's event time by a reading from a meter of its own. */
  const readingAt = async (regionId: string, ts: string) => {
    const id = `${regionId}-clock`;
    const issued = await admin.post('/v1/meters', { id, regionId });
    const password = issued.status === 201 ? issued.body.mqtt.password : passwords.get(id)!;
    passwords.set(id, password);
    const meter = await mqtt.connectAsync(platform.mqttUrl, { clientId: id, username: id, password, reconnectPeriod: 0 });
    await meter.publishAsync(`meters/${id}/readings`, JSON.stringify({ ts, periodS: 1800, consumptionWh: 300 }), { qos: 1 });
    await meter.endAsync();
  };
  const passwords = new Map<string, string>();

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    platform = await startPlatformProcess({ DATABASE_URL: db.url });
    admin = restClient(platform.httpUrl, platform.adminKey);
    analyst = restClient(platform.httpUrl, (await admin.post('/v1/api-keys', { name: 'analyst', role: 'analyst' })).body.key);
  });

  afterAll(async () => {
    await platform?.stop();
    await db?.drop();
  });

  it('prices a day from an uploaded wholesale series at the cut-off: min(2.2 × W + peak adder, cap), VAT apart', async () => {
    expect((await admin.post('/v1/regions', { id: 'agile', name: 'Agile-like', timezone: 'Europe/London', pricing: AGILE })).status).toBe(
      201,
    );
    const prices = Array.from({ length: 48 }, (_, i) => ({ intervalStart: new Date(DAY + i * HALF).toISOString(), price: wholesale(i) }));
    expect((await analyst.post('/v1/regions/agile/wholesale-prices', { prices })).status).toBe(403);
    const misaligned = await admin.post('/v1/regions/agile/wholesale-prices', {
      prices: [{ intervalStart: '2013-12-03T00:10:00Z', price: '0.05' }],
    });
    expect(misaligned.status).toBe(400);
    expect(misaligned.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'prices.0.intervalStart' }] });
    expect((await admin.post('/v1/regions/agile/wholesale-prices', { prices })).body).toEqual({
      stored: 48,
      from: '2013-12-03T00:00:00.000Z',
      to: '2013-12-04T00:00:00.000Z',
    });

    await readingAt('agile', '2013-12-02T12:00:00Z');
    await expectEventually(
      async () => ((await admin.get('/v1/regions/agile/tariffs/current')).body.validFrom === '2013-12-02T12:00:00.000Z' ? true : undefined),
      { what: 'the clock at noon' },
    );
    await readingAt('agile', '2013-12-02T16:30:00Z'); // past the 16:00 cut-off
    const day = await expectEventually(
      async () => {
        const items = (await admin.get('/v1/regions/agile/tariffs?from=2013-12-03T00:00:00Z&to=2013-12-04T00:00:00Z')).body.items;
        return items?.length === 48 ? items : undefined;
      },
      { what: 'the 3rd priced' },
    );
    for (const [i, t] of day.entries()) {
      const peak = i >= 32 && i < 38; // 16:00-19:00 GMT
      const exTax = Math.min(2.2 * Number(wholesale(i)) + (peak ? 0.12 : 0), 0.35);
      expect([t.validFrom, Number(t.priceExTax)]).toEqual([t.validFrom, Number(exTax.toFixed(4))]);
      expect(Number(t.tax)).toBeCloseTo(exTax * 0.05, 6);
      expect(t).toMatchObject({ basis: 'day-ahead', firm: true, model: 'wholesale-indexed', modelVersion: 1 });
    }
    const explained = (await analyst.get(`/v1/regions/agile/tariffs/${day[34].validFrom}/explain`)).body;
    expect(explained).toMatchObject({
      matches: true,
      inputs: { wholesalePrice: `${wholesale(34)}00` },
      computation: { band: 'peak' },
      parameters: { model: 'wholesale-indexed' },
    });
  });

  it('takes a CSV series, and says which column is missing or what is wrong with the body', async () => {
    const csv = ['time,gbp_per_mwh', ...Array.from({ length: 4 }, (_, i) => `2013-12-05 0${i}:00:00,${40 + i}`)].join('\n');
    const post = (query: string, body: string, type = 'text/csv') =>
      fetch(`${platform.httpUrl}/v1/regions/agile/wholesale-prices?${query}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${platform.adminKey}`, 'content-type': type },
        body,
      });
    const stored = await post('timeColumn=time&priceColumn=gbp_per_mwh&divisor=1000&timeZone=Europe/London', csv);
    expect(stored.status).toBe(201);
    expect(await stored.json()).toEqual({ stored: 4, from: '2013-12-05T00:00:00.000Z', to: '2013-12-05T03:30:00.000Z' });
    const missing = await post('timeColumn=when&priceColumn=gbp_per_mwh', csv);
    expect(missing.status).toBe(400);
    expect(missing.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await missing.json()).toMatchObject({ detail: expect.stringContaining('no column "when"'), errors: [{ field: 'timeColumn' }] });
    expect((await post('timeColumn=time&priceColumn=gbp_per_mwh', 'time,gbp_per_mwh\nyesterday,40')).status).toBe(400);
    expect((await post('', csv, 'text/plain')).status).toBe(415);
  });

  it('never lets a pricing change reach back into announced prices, and takes one effective from the next free interval', async () => {
    const flat = { model: 'flat', currency: 'GBP', price: '0.25' };
    expect((await analyst.put('/v1/regions/agile/pricing', { effectiveFrom: '2013-12-04T00:00:00Z', pricing: flat })).status).toBe(403);
    const back = await admin.put('/v1/regions/agile/pricing', { effectiveFrom: '2013-12-03T12:00:00Z', pricing: flat });
    expect(back.status).toBe(409);
    expect(back.body).toMatchObject({
      code: 'conflict',
      errors: [{ field: 'effectiveFrom' }],
      detail: expect.stringContaining('2013-12-04T00:00:00.000Z'),
    });
    expect((await admin.put('/v1/regions/agile/pricing', { effectiveFrom: '2013-12-04T00:10:00Z', pricing: flat })).status).toBe(400);
    expect(
      (
        await admin.put('/v1/regions/agile/pricing', {
          effectiveFrom: '2013-12-04T00:00:00Z',
          pricing: { ...flat, floor: '0.3', cap: '0.2' },
        })
      ).status,
    ).toBe(400);
    const changed = await admin.put('/v1/regions/agile/pricing', { effectiveFrom: '2013-12-04T00:00:00Z', pricing: flat });
    expect(changed.status).toBe(201);
    expect(changed.body).toMatchObject({ version: 2, effectiveFrom: '2013-12-04T00:00:00.000Z', pricing: flat });
    expect((await analyst.get('/v1/regions/agile/pricing')).body.items.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    // Announced prices are untouched; the next day is priced under version 2.
    await readingAt('agile', '2013-12-03T16:30:00Z');
    const next = await expectEventually(
      async () => {
        const items = (await admin.get('/v1/regions/agile/tariffs?from=2013-12-04T00:00:00Z&to=2013-12-05T00:00:00Z')).body.items;
        return items?.length === 48 ? items : undefined;
      },
      { what: 'the 4th priced' },
    );
    expect(
      new Set(next.map((t: { price: string; modelVersion: number; model: string }) => `${t.model}/${t.modelVersion}/${t.price}`)),
    ).toEqual(new Set(['flat/2/0.2500']));
    expect(
      (await admin.get('/v1/regions/agile/tariffs?from=2013-12-03T00:00:00Z&to=2013-12-04T00:00:00Z')).body.items.every(
        (t: { modelVersion: number }) => t.modelVersion === 1,
      ),
    ).toBe(true);
  });

  it('declares critical-peak events before their notice deadline and within the yearly budget, and prices their window at its level', async () => {
    const cp5 = {
      model: 'critical-peak-5',
      currency: 'JPY',
      levelPrices: ['15', '50', '75', '100', '150'],
      capacityKw: 100,
      thresholds: [0.5, 0.7, 0.85, 1.0],
      eventBudget: 2,
    };
    await admin.post('/v1/regions', { id: 'kyu', name: 'Kitakyushu', timezone: 'Asia/Tokyo', pricing: cp5 });
    await readingAt('kyu', '2013-12-02T03:00:00Z'); // 12:00 in Tokyo: the region's clock
    await expectEventually(async () => ((await admin.get('/v1/regions/kyu/tariffs/current')).status === 200 ? true : undefined), {
      what: 'a price in force',
    });
    const event = (start: string, end: string) => ({ start, end, level: 5, reason: 'heat wave forecast' });
    expect((await analyst.post('/v1/regions/kyu/events', event('2013-12-03T08:00:00Z', '2013-12-03T10:00:00Z'))).status).toBe(403);
    // The 2nd (Tokyo) has begun: its cut-off (16:00 on the 1st) is long past.
    const late = await admin.post('/v1/regions/kyu/events', event('2013-12-02T08:00:00Z', '2013-12-02T10:00:00Z'));
    expect(late.status).toBe(409);
    expect(late.body.detail).toContain('notice deadline');
    expect((await admin.post('/v1/regions/kyu/events', event('2013-12-03T10:00:00Z', '2013-12-03T08:00:00Z'))).status).toBe(400);
    const first = await admin.post('/v1/regions/kyu/events', event('2013-12-03T08:00:00Z', '2013-12-03T10:00:00Z')); // 17:00-19:00 Tokyo
    expect(first.status).toBe(201);
    expect((await admin.post('/v1/regions/kyu/events', event('2013-12-05T08:00:00Z', '2013-12-05T10:00:00Z'))).status).toBe(201);
    const over = await admin.post('/v1/regions/kyu/events', event('2013-12-06T08:00:00Z', '2013-12-06T10:00:00Z'));
    expect(over.status).toBe(409);
    expect(over.body.detail).toContain('used its 2 events for 2013');
    expect((await analyst.get('/v1/regions/kyu/events')).body.items.map((e: { start: string }) => e.start)).toEqual([
      '2013-12-03T08:00:00.000Z',
      '2013-12-05T08:00:00.000Z',
    ]);

    await readingAt('kyu', '2013-12-02T07:30:00Z'); // 16:30 Tokyo: the 3rd is priced
    const third = await expectEventually(
      async () => {
        const items = (await admin.get('/v1/regions/kyu/tariffs?from=2013-12-02T15:00:00Z&to=2013-12-03T15:00:00Z')).body.items;
        return items?.length === 48 ? items : undefined;
      },
      { what: 'the 3rd priced' },
    );
    const inEvent = third.filter(
      (t: { validFrom: string }) => t.validFrom >= '2013-12-03T08:00:00.000Z' && t.validFrom < '2013-12-03T10:00:00.000Z',
    );
    expect(inEvent).toHaveLength(4);
    expect(new Set(inEvent.map((t: { level: number; price: string }) => `${t.level}/${t.price}`))).toEqual(new Set(['5/150.0000']));
    expect((await analyst.get(`/v1/regions/kyu/tariffs/${inEvent[0].validFrom}/explain`)).body).toMatchObject({
      matches: true,
      inputs: { event: { id: first.body.id, level: 5 } },
    });
  });

  it('simulates a stored day under other parameters without touching what was published', async () => {
    const before = (await admin.get('/v1/regions/agile/tariffs?from=2013-12-03T00:00:00Z&to=2013-12-04T00:00:00Z')).body.items;
    const body = { from: '2013-12-03T00:00:00Z', to: '2013-12-04T00:00:00Z', pricing: { ...AGILE, multiplier: '1.1', cap: '0.20' } };
    expect((await analyst.post('/v1/regions/agile/simulations', { ...body, pricing: { ...body.pricing, currency: 'EUR' } })).status).toBe(
      400,
    );
    expect((await analyst.post('/v1/regions/agile/simulations', { ...body, to: '2014-12-03T00:00:00Z' })).status).toBe(400);
    const sim = await analyst.post('/v1/regions/agile/simulations', body);
    expect(sim.status).toBe(200);
    expect(sim.body.intervals).toHaveLength(48);
    for (const [i, interval] of sim.body.intervals.entries()) {
      const peak = i >= 32 && i < 38;
      expect(Number(interval.simulated.price)).toBeCloseTo(Math.min(1.1 * Number(wholesale(i)) + (peak ? 0.12 : 0), 0.2) * 1.05, 6);
      expect(interval.published.price).toBe(before[i].price);
    }
    // The clock meter's one reading that day (16:00-16:30, 300 Wh) at both prices.
    const mine = sim.body.households.find((h: { meterId: string }) => h.meterId === 'agile-clock');
    expect(mine.consumptionWh).toBe(300);
    expect(Number(mine.publishedCost)).toBeCloseTo(0.3 * Number(before[32].price), 6);
    expect(Number(mine.simulatedCost)).toBeCloseTo(0.3 * Number(sim.body.intervals[32].simulated.price), 6);
    expect((await admin.get('/v1/regions/agile/tariffs?from=2013-12-03T00:00:00Z&to=2013-12-04T00:00:00Z')).body.items).toEqual(before);
  });

  it('answers explain and forecast errors as problems, and the forecast as CSV', async () => {
    expect((await analyst.get('/v1/regions/kyu/tariffs/yesterday/explain')).body).toMatchObject({
      status: 400,
      errors: [{ field: 'intervalStart' }],
    });
    expect((await analyst.get('/v1/regions/kyu/tariffs/2001-01-01T00:00:00Z/explain')).status).toBe(404);
    expect((await analyst.get('/v1/regions/nowhere/forecast')).status).toBe(404);
    const csv = await analyst.get('/v1/regions/kyu/forecast?from=2013-12-02T15:00:00Z&to=2013-12-03T15:00:00Z', { accept: 'text/csv' });
    const lines = csv.text.trim().split('\n');
    expect(lines[0].split(',')).toEqual(
      expect.arrayContaining(['intervalStart', 'forecastDemandWh', 'actualDemandWh', 'demandErrorWh', 'method']),
    );
    expect(lines).toHaveLength(49);
  });

  it('moves a household to another tariff from a future interval start only, and its next CONNECT reads that tariff’s topics', async () => {
    const flat = { model: 'flat', currency: 'GBP', price: '0.14228' };
    expect((await admin.post('/v1/regions', { id: 'trial', name: 'Trial', timezone: 'Europe/London', pricing: flat })).status).toBe(201);
    const next = Math.floor(Date.now() / HALF) * HALF + HALF;
    expect(
      (
        await admin.put('/v1/regions/trial/pricing', {
          tariff: 'peak',
          effectiveFrom: new Date(next).toISOString(),
          pricing: { ...flat, price: '0.30' },
        })
      ).status,
    ).toBe(201);
    expect((await admin.post('/v1/meters', { regionId: 'trial', tariff: 'agile' })).body).toMatchObject({
      status: 400,
      errors: [{ field: 'tariff' }],
    });
    const home = (await admin.post('/v1/meters', { id: 'trial-home', regionId: 'trial' })).body;
    expect(home).toMatchObject({ tariff: 'dynamic', tariffPlan: [{ tariff: 'dynamic', from: null }] });
    const pv = (await admin.post('/v1/meters', { id: 'trial-pv', regionId: 'trial', kind: 'inverter', householdId: 'trial-home' })).body;
    const change = (body: object, id = 'trial-home') => admin.put(`/v1/meters/${id}/tariff`, body);
    // Never retroactive: the interval running now keeps its tariff; nor off an interval start, nor to a tariff not offered.
    for (const [body, field] of [
      [{ tariff: 'peak', effectiveFrom: new Date(next - HALF).toISOString() }, 'effectiveFrom'],
      [{ tariff: 'peak', effectiveFrom: new Date(next + 60_000).toISOString() }, 'effectiveFrom'],
      [{ tariff: 'agile', effectiveFrom: new Date(next).toISOString() }, 'tariff'],
      [{ tariff: 'current', effectiveFrom: new Date(next).toISOString() }, 'tariff'],
    ] as const)
      expect([field, (await change(body)).body]).toEqual([
        field,
        expect.objectContaining({ status: 400, errors: [expect.objectContaining({ field })] }),
      ]);
    expect((await change({ tariff: 'peak', effectiveFrom: new Date(next).toISOString() }, 'trial-pv')).status).toBe(409);
    const moved = await change({ tariff: 'peak', effectiveFrom: new Date(next).toISOString() });
    expect(moved.body).toMatchObject({
      tariff: 'dynamic',
      tariffPlan: [
        { tariff: 'dynamic', from: null },
        { tariff: 'peak', from: new Date(next).toISOString() },
      ],
    });
    expect((await analyst.get('/v1/meters/trial-home')).body.tariffPlan).toEqual(moved.body.tariffPlan);
    // Until the change, the household reads both tariffs' prices; never another region's or the tree of all.
    const meter = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: 'trial-home',
      username: 'trial-home',
      password: home.mqtt.password,
      reconnectPeriod: 0,
    });
    const grants = await meter
      .subscribeAsync(['prices/trial/current', 'prices/trial/peak/current', 'prices/trial/#', 'prices/agile/current'], { qos: 1 })
      .then(
        (g) => g.map((x) => x.qos),
        (e: { packet: { granted: number[] } }) => e.packet.granted,
      );
    expect(grants).toEqual([1, 1, 128, 128]);
    await meter.endAsync();
    expect(pv.mqtt.topics.currentPrice).toBe('prices/trial/current');
  });

  it('on a connection already open, a tariff change is readable at once and the old tariff’s prices stop at the switch', async () => {
    // A replay a day behind the wall clock, so its time can be brought to seconds before an
    // interval start T and the switch watched as it happens.
    const T = Math.floor(Date.now() / HALF) * HALF - 86_400_000;
    const flat = { model: 'flat', currency: 'GBP', price: '0.14228' };
    expect((await admin.post('/v1/regions', { id: 'switch', name: 'Switch', timezone: 'Europe/London', pricing: flat })).status).toBe(201);
    await readingAt('switch', new Date(T - 2 * 3_600_000).toISOString());
    await expectEventually(
      async () => (await admin.get('/v1/meters/switch-clock')).body.lastReadingAt === new Date(T - 7_200_000).toISOString() || undefined,
      {
        what: 'the region at T − 2 h',
      },
    );
    const peak = { tariff: 'peak', effectiveFrom: new Date(T - 3_600_000).toISOString(), pricing: { ...flat, price: '0.30' } };
    expect((await admin.put('/v1/regions/switch/pricing', peak)).status).toBe(201);
    const home = (await admin.post('/v1/meters', { id: 'switch-home', regionId: 'switch' })).body;
    const LEAD_S = 15;
    await readingAt('switch', new Date(T - LEAD_S * 1000).toISOString());
    await expectEventually(
      async () =>
        (await admin.get('/v1/meters/switch-clock')).body.lastReadingAt === new Date(T - LEAD_S * 1000).toISOString() || undefined,
      {
        what: 'the region seconds before T',
      },
    );
    // The region's time now runs at most LEAD_S seconds behind T: T is reached by this wall time.
    const switchedBy = Date.now() + LEAD_S * 1000;
    const meter = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: 'switch-home',
      username: 'switch-home',
      password: home.mqtt.password,
      reconnectPeriod: 0,
    });
    const grant = (topic: string) =>
      meter.subscribeAsync(topic, { qos: 1 }).then(
        (g) => g[0].qos,
        (e: { packet: { granted: number[] } }) => e.packet.granted[0],
      );
    expect(await grant('prices/switch/current')).toBe(1);
    expect(await grant('prices/switch/peak/current')).toBe(128); // not on peak (yet)
    const moved = await admin.put('/v1/meters/switch-home/tariff', { tariff: 'peak', effectiveFrom: new Date(T).toISOString() });
    expect(moved.status).toBe(200);
    // The same connection, told through the control bus: the new tariff's topic is granted without a reconnect.
    await expectEventually(async () => ((await grant('prices/switch/peak/current')) === 1 ? true : undefined), {
      what: 'peak granted on the open connection',
    });
    const received: { topic: string; validFrom: string }[] = [];
    meter.on('message', (topic, payload) => received.push({ topic, validFrom: JSON.parse(payload.toString()).validFrom }));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, switchedBy - Date.now()) + 1000));
    // The region moves past T: both tariffs announce the interval starting at T; the household gets only its new one.
    await readingAt('switch', new Date(T + 300_000).toISOString());
    const at = new Date(T).toISOString();
    await expectEventually(async () => received.some((m) => m.topic === 'prices/switch/peak/current' && m.validFrom === at) || undefined, {
      what: 'peak’s price at T',
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(received.filter((m) => m.topic === 'prices/switch/current' && m.validFrom >= at)).toEqual([]);
    // And a new SUBSCRIBE to the old tariff is refused from T on.
    expect(await grant('prices/switch/current')).toBe(128);
    await meter.endAsync();
  }, 60_000);
});
