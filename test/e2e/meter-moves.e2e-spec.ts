import mqtt from 'mqtt';
import { createTestDatabase, expectEventually, restClient, startPlatformProcess, type PlatformProcess } from '@wattline/testing';

/**
 * A household moved to another region, and a meter to another cohort, from a future interval
 * start — over real MQTT, the embedded aggregator and PostgreSQL. A replay of 2 December 2013
 * (each region's time is its readings'), so the move can be watched as its readings cross it.
 */
const at = (hhmm: string) => `2013-12-02T${hhmm}:00.000Z`;

describe('moving a household to another region, and a meter to another cohort', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;
  let admin: ReturnType<typeof restClient>;
  let device: mqtt.MqttClient;
  const errors: { error: string; detail: string }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    platform = await startPlatformProcess({ DATABASE_URL: db.url });
    admin = restClient(platform.httpUrl, platform.adminKey);
    for (const [id, price] of [
      ['mv-a', '0.14228'],
      ['mv-b', '0.30'],
    ])
      expect(
        (await admin.post('/v1/regions', { id, name: id, timezone: 'Europe/London', pricing: { model: 'flat', currency: 'GBP', price } }))
          .status,
      ).toBe(201);
    const home = (await admin.post('/v1/meters', { id: 'mv-home', regionId: 'mv-a' })).body;
    expect((await admin.post('/v1/meters', { id: 'mv-pv', regionId: 'mv-a', kind: 'inverter', householdId: 'mv-home' })).status).toBe(201);
    device = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: 'mv-home',
      username: 'mv-home',
      password: home.mqtt.password,
      reconnectPeriod: 0,
    });
    device.on('message', (_topic, payload) => errors.push(JSON.parse(payload.toString())));
    await device.subscribeAsync('meters/mv-home/errors', { qos: 1 });
  });

  afterAll(async () => {
    await device?.endAsync();
    await platform?.stop();
    await db?.drop();
  });

  const send = (ts: string, wh: number, periodS = 1800) =>
    device.publishAsync('meters/mv-home/readings', JSON.stringify({ ts, periodS, consumptionWh: wh }), { qos: 1 });
  const demand = async (regionId: string) =>
    (
      (await admin.get(`/v1/regions/${regionId}/aggregates?from=${at('09:00')}&to=${at('14:00')}`)).body.items as {
        intervalStart: string;
        demandWh: number;
      }[]
    ).map((a) => [a.intervalStart, a.demandWh]);

  it('moves from an interval start after the one running in its region, never an inverter alone, and says so', async () => {
    await send(at('10:30'), 100);
    await expectEventually(async () => (await admin.get('/v1/meters/mv-home')).body.lastReadingAt === at('10:30') || undefined, {
      what: "mv-a's time at 10:30",
    });
    const move = (body: object, id = 'mv-home') => admin.put(`/v1/meters/${id}/region`, body);
    for (const [body, field] of [
      [{ regionId: 'mv-b', effectiveFrom: at('10:30') }, 'effectiveFrom'],
      [{ regionId: 'mv-b', effectiveFrom: at('11:10') }, 'effectiveFrom'],
      [{ regionId: 'nowhere', effectiveFrom: at('12:00') }, 'regionId'],
      [{ regionId: 'mv-b', effectiveFrom: at('12:00'), tariff: 'peak' }, 'tariff'],
    ] as const)
      expect([field, (await move(body)).body]).toEqual([
        field,
        expect.objectContaining({ status: 400, errors: [expect.objectContaining({ field })] }),
      ]);
    expect((await move({ regionId: 'mv-a', effectiveFrom: at('12:00') })).body).toMatchObject({
      status: 409,
      detail: expect.stringContaining('already in region mv-a'),
    });
    expect((await move({ regionId: 'mv-b', effectiveFrom: at('12:00') }, 'mv-pv')).body).toMatchObject({
      status: 409,
      detail: expect.stringContaining('moves with its household'),
    });

    const moved = await move({ regionId: 'mv-b', effectiveFrom: at('12:00') });
    expect(moved.body).toMatchObject({
      regionId: 'mv-a',
      regionPlan: [
        { regionId: 'mv-a', from: null },
        { regionId: 'mv-b', from: at('12:00') },
      ],
      tariffPlan: [
        { tariff: 'dynamic', from: null },
        { tariff: 'dynamic', from: at('12:00') },
      ],
    });
    // A tariff change before the move would undo the tariff it moves to.
    expect((await admin.put('/v1/meters/mv-home/tariff', { tariff: 'dynamic', effectiveFrom: at('11:30') })).body).toMatchObject({
      status: 409,
      detail: expect.stringContaining('moves to region mv-b'),
    });
  });

  it('counts each reading in the region of its time, on the connection already open, and refuses one spanning the move', async () => {
    await send(at('11:30'), 110);
    await send(at('12:15'), 999); // [11:45, 12:15) spans 12:00
    await send(at('12:30'), 120);
    await expectEventually(async () => (await demand('mv-b')).length === 1 || undefined, { what: 'the reading after the move in mv-b' });
    expect(await demand('mv-a')).toEqual([
      [at('10:00'), 100],
      [at('11:00'), 110],
    ]);
    expect(await demand('mv-b')).toEqual([[at('12:00'), 120]]);
    const spanning = await expectEventually(() => errors.find((e) => e.error === 'invalid_period'));
    expect(spanning.detail).toContain("spans the household's move to region mv-b at 2013-12-02T12:00:00.000Z");
    const letters = await expectEventually(async () => {
      const items = (await admin.get('/v1/dead-letters?meterId=mv-home')).body.items as { error: string; payload: string }[];
      return items.length > 0 ? items : undefined;
    });
    expect(letters.map((l) => [l.error, JSON.parse(l.payload)])).toEqual([
      ['invalid_period', { ts: at('12:15'), periodS: 1800, consumptionWh: 999, generationWh: 0 }],
    ]);
  });

  it('takes the household and its inverter into the new region once its time reaches the move', async () => {
    const regions = async () => [
      (await admin.get('/v1/meters/mv-home')).body.regionId,
      (await admin.get('/v1/meters/mv-pv')).body.regionId,
    ];
    expect(await expectEventually(async () => ((await regions())[0] === 'mv-b' ? regions() : undefined))).toEqual(['mv-b', 'mv-b']);
    // Listed in both regions, each with its part of the day.
    const listed = async (regionId: string) =>
      (
        (await admin.get(`/v1/regions/${regionId}/bills?from=${at('00:00')}&to=2013-12-03T00:00:00Z`)).body.items as Record<
          string,
          unknown
        >[]
      )
        .filter((b) => b.meterId === 'mv-home')
        .map((b) => [b.from, b.to, b.consumptionWh]);
    expect(await listed('mv-a')).toEqual([[at('00:00'), at('12:00'), 210]]);
    expect(await listed('mv-b')).toEqual([[at('12:00'), '2013-12-03T00:00:00.000Z', 120]]);
  });

  it("bills one region's account at a time: a window across the move is refused with where to split it", async () => {
    const bill = (from: string, to: string) => admin.get(`/v1/meters/mv-home/bill?from=${from}&to=${to}`);
    expect((await bill(at('00:00'), '2013-12-03T00:00:00Z')).body).toMatchObject({
      status: 409,
      detail: expect.stringContaining('ask for one to 2013-12-02T12:00:00.000Z and one from it'),
    });
    const before = (await bill(at('00:00'), at('12:00'))).body;
    const after = (await bill(at('12:00'), '2013-12-03T00:00:00Z')).body;
    expect([before.consumptionWh, after.consumptionWh]).toEqual([210, 120]);
    // Each at its own region's price: 0.120 kWh at mv-b's 0.30.
    expect(Number(after.energyCharge)).toBeCloseTo(0.036, 6);
  });

  it('changes a cohort from a future interval start, the value in force once its time comes', async () => {
    const change = (body: object) => admin.put('/v1/meters/mv-home/cohort', body);
    expect((await change({ cohort: 'trial', effectiveFrom: at('12:00') })).body).toMatchObject({
      status: 400,
      errors: [{ field: 'effectiveFrom' }],
    });
    expect((await admin.put('/v1/meters/mv-pv/cohort', { cohort: 'trial', effectiveFrom: at('13:00') })).status).toBe(409);
    const changed = await change({ cohort: 'trial', effectiveFrom: at('13:00') });
    expect(changed.body).toMatchObject({
      cohort: null,
      cohortPlan: [
        { cohort: null, from: null },
        { cohort: 'trial', from: at('13:00') },
      ],
    });
    expect((await change({ cohort: 'trial', effectiveFrom: at('13:30') })).body).toMatchObject({ status: 409 });
    await send(at('13:30'), 130);
    expect(await expectEventually(async () => (await admin.get('/v1/meters/mv-home')).body.cohort ?? undefined)).toBe('trial');
  });
});
