import mqtt from 'mqtt';
import { createTestDatabase, expectEventually, restClient, startPlatformProcess, type PlatformProcess } from '@wattline/testing';

/**
 * One meter's backlog never sets its region's clock back (#23). A live meter reports, then goes
 * quiet while the region's clock moves on with the wall clock (the price in force moves to the
 * next interval), then sends an hour of backlog in one batch. The backlog is stored;
 * `prices/{region}/current` never goes back to an interval that has ended (it did:
 * the backlog moved the region's last arrival without its watermark).
 */
const INTERVAL_S = 5;

describe("a region's clock", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    platform = await startPlatformProcess({
      DATABASE_URL: db.url,
      INTERVAL_SECONDS: String(INTERVAL_S),
      ALLOWED_LATENESS_SECONDS: '1',
      IDLE_CLOSE_SECONDS: '1',
    });
  });

  afterAll(async () => {
    await platform?.stop();
    await db?.drop();
  });

  it('only moves forward: an hour of backlog is stored and the price in force stays where the clock is', async () => {
    const api = restClient(platform.httpUrl, platform.adminKey);
    await api.post('/v1/regions', { id: 'kyu', name: 'Kitakyushu', timezone: 'Asia/Tokyo' });
    const { body } = await api.post('/v1/meters', { id: 'live', regionId: 'kyu' });
    const meter = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: 'live',
      username: 'live',
      password: body.mqtt.password,
      reconnectPeriod: 0,
    });
    const starts: number[] = [];
    meter.on(
      'message',
      (topic, payload) => topic.endsWith('/current') && starts.push(Date.parse(JSON.parse(payload.toString()).validFrom)),
    );
    await meter.subscribeAsync('prices/kyu/current', { qos: 1 });
    // Live: a reading a second for a few intervals.
    for (let i = 0; i < 3 * INTERVAL_S; i++) {
      await meter.publishAsync('meters/live/readings', JSON.stringify({ ts: Date.now(), periodS: 1, consumptionWh: 2 }), { qos: 1 });
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    // Quiet for more than an interval: the clock moves on with the wall clock, and so does the price in force.
    const quietFrom = starts.at(-1)!;
    await expectEventually(() => (starts.at(-1)! > quietFrom ? true : undefined), {
      what: 'the price in force moving on while the meter is quiet',
      timeoutMs: 4 * INTERVAL_S * 1000,
    });
    const beforeBacklog = Math.max(...starts);
    // An hour of backlog in one batch (a meter back from an outage).
    const hourAgo = Date.now() - 3_600_000;
    const readings = Array.from({ length: 100 }, (_, i) => ({ ts: hourAgo + i * 36_000, periodS: 36, consumptionWh: 20, seq: 1000 + i }));
    await meter.publishAsync('meters/live/readings', JSON.stringify({ readings }), { qos: 1 });
    const from = new Date(hourAgo - 1000).toISOString();
    await expectEventually(
      async () =>
        (await api.get(`/v1/meters/live/readings?from=${from}&to=${new Date(hourAgo + 3_600_000).toISOString()}&limit=1000`)).body.items
          .length >= 100
          ? true
          : undefined,
      { what: 'the backlog stored' },
    );
    // A marker: the price moves to a later interval after the backlog was stored — passes of the clock ran with it in.
    await expectEventually(() => (starts.at(-1)! > beforeBacklog ? true : undefined), {
      what: 'the next interval after the backlog',
      timeoutMs: 4 * INTERVAL_S * 1000,
    });
    const sorted = [...starts].sort((a, b) => a - b);
    expect(starts).toEqual(sorted); // never back to an interval that had ended
    const current = (await api.get('/v1/regions/kyu/tariffs/current')).body;
    expect(Date.parse(current.validTo)).toBeGreaterThan(Date.now() - 2000);
    await meter.endAsync();
  }, 120_000);
});
