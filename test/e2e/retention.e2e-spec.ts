import mqtt from 'mqtt';
import { Client } from 'pg';
import { createTestDatabase, expectEventually, restClient, startPlatformProcess, type PlatformProcess } from '@wattline/testing';

/**
 * Storage does not only grow: with READINGS_RETENTION_MONTHS=1, once a region's clock (here a
 * replay of 2013) is in December, October's raw readings are dropped as a whole partition —
 * its interval sums and bills stay, its seq claims go — and a reading of October arriving late
 * is dead-lettered `beyond_retention` instead of re-opening a final month.
 */
describe('readings retention', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    platform = await startPlatformProcess({ DATABASE_URL: db.url, READINGS_RETENTION_MONTHS: '1', ALLOWED_LATENESS_SECONDS: '60' });
  });

  afterAll(async () => {
    await platform?.stop();
    await db?.drop();
  });

  it('drops whole months of raw readings once final, keeping their sums and bills, and refuses a reading of one', async () => {
    const admin = restClient(platform.httpUrl, platform.adminKey);
    await admin.post('/v1/regions', { id: 'keep', name: 'Keep' });
    const meter = (await admin.post('/v1/meters', { id: 'keep-1', regionId: 'keep' })).body;
    const device = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: 'keep-1',
      username: 'keep-1',
      password: meter.mqtt.password,
      reconnectPeriod: 0,
    });
    const errors: { error: string }[] = [];
    device.on('message', (_t, payload) => errors.push(JSON.parse(payload.toString())));
    await device.subscribeAsync('meters/keep-1/errors', { qos: 1 });
    const send = (ts: string, seq: number, wh: number) =>
      device.publishAsync('meters/keep-1/readings', JSON.stringify({ ts, periodS: 1800, consumptionWh: wh, seq }), { qos: 1 });
    const october = 'from=2013-10-01T00:00:00Z&to=2013-11-01T00:00:00Z';
    const readings = async (window: string) => (await admin.get(`/v1/meters/keep-1/readings?${window}`)).body.items as unknown[];
    const aggregate = async () =>
      (await admin.get('/v1/regions/keep/aggregates?from=2013-10-15T10:00:00Z&to=2013-10-15T10:30:00Z')).body.items.map(
        (a: { demandWh: number }) => a.demandWh,
      );

    await send('2013-10-15T10:30:00Z', 1, 100);
    await send('2013-11-15T10:30:00Z', 2, 200);
    await expectEventually(async () => ((await readings(october)).length === 1 ? true : undefined), { what: 'October stored' });
    const billBefore = (await admin.get(`/v1/meters/keep-1/bill?${october}`)).body;
    expect(billBefore.consumptionWh).toBe(100);
    // The region's clock enters December: October is past the month kept, and final.
    await send('2013-12-20T10:30:00Z', 3, 300);
    await expectEventually(async () => ((await readings(october)).length === 0 ? true : undefined), {
      what: 'October dropped',
      timeoutMs: 20_000,
    });
    expect(await readings('from=2013-11-01T00:00:00Z&to=2013-12-01T00:00:00Z')).toHaveLength(1);
    expect(await aggregate()).toEqual([100]);
    const billAfter = (await admin.get(`/v1/meters/keep-1/bill?${october}`)).body;
    expect([billAfter.due, billAfter.consumptionWh]).toEqual([billBefore.due, billBefore.consumptionWh]);

    // A reading of October now: refused with its reason, the month not re-opened, its sums unchanged.
    await send('2013-10-20T10:30:00Z', 9, 999);
    await expectEventually(() => errors.find((e) => e.error === 'beyond_retention'), { what: 'the meter told' });
    expect(await aggregate()).toEqual([100]);
    const sql = new Client({ connectionString: db.url });
    await sql.connect();
    try {
      const partition = (await sql.query(`SELECT to_regclass('readings_2013_10') AS t`)).rows[0].t;
      const seqs = (await sql.query(`SELECT seq FROM reading_seqs WHERE meter_id = 'keep-1' ORDER BY seq`)).rows.map((r) => Number(r.seq));
      expect([partition, seqs]).toEqual([null, [2, 3]]);
    } finally {
      await sql.end();
    }
    await device.endAsync();
  });
});
