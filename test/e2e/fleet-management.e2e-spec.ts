import mqtt from 'mqtt';
import {
  createTestDatabase,
  expectEventually,
  metricValue,
  restClient,
  startPlatformProcess,
  type PlatformProcess,
} from '@wattline/testing';

/**
 * Managing a fleet without SQL: a device's secret rotated (the one before opens for a grace
 * period — cached or not — then no more), revoked and reinstated with a new secret, and
 * decommissioned (its credential gone, its readings kept). Over real MQTT on the embedded defaults.
 */
const GRACE_S = 5;

describe('fleet management', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;
  let admin: ReturnType<typeof restClient>;

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    platform = await startPlatformProcess({ DATABASE_URL: db.url, SECRET_ROTATION_GRACE_SECONDS: String(GRACE_S) });
    admin = restClient(platform.httpUrl, platform.adminKey);
    await admin.post('/v1/regions', { id: 'fleet', name: 'Fleet' });
  });

  afterAll(async () => {
    await platform?.stop();
    await db?.drop();
  });

  /** The CONNACK return code a device gets with this secret (0: in). */
  const connackOf = async (id: string, password: string) => {
    try {
      const client = await mqtt.connectAsync(platform.mqttUrl, {
        clientId: id,
        username: id,
        password,
        reconnectPeriod: 0,
        connectTimeout: 5000,
      });
      await client.endAsync();
      return 0;
    } catch (error) {
      return (error as { code?: number }).code ?? -1;
    }
  };

  it('rotates a secret: both open during the grace period, then only the new one, whatever the cache holds', async () => {
    const meter = (await admin.post('/v1/meters', { id: 'rot-1', regionId: 'fleet' })).body;
    const old = meter.mqtt.password as string;
    expect(await connackOf('rot-1', old)).toBe(0); // now cached
    const rotated = await admin.post('/v1/meters/rot-1/rotate-secret', {});
    expect(rotated).toMatchObject({ status: 200, body: { id: 'rot-1', mqtt: { username: 'rot-1', clientId: 'rot-1' } } });
    const fresh = rotated.body.mqtt.password as string;
    expect(fresh).not.toBe(old);
    const graceEnds = Date.parse(rotated.body.previousSecretValidUntil);
    expect(graceEnds - Date.now()).toBeGreaterThan(0);
    expect(graceEnds - Date.now()).toBeLessThanOrEqual(GRACE_S * 1000);
    // Once every broker has heard of the rotation (the control log is read each second), the old secret is
    // verified again and cached — trusted only until its grace period ends.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect([await connackOf('rot-1', fresh), await connackOf('rot-1', old)]).toEqual([0, 0]);
    expect(await connackOf('rot-1', old)).toBe(0);
    // Past the grace period the old secret is refused, though the broker cached it while it was valid.
    await new Promise((resolve) => setTimeout(resolve, graceEnds - Date.now() + 200));
    expect([await connackOf('rot-1', old), await connackOf('rot-1', fresh)]).toEqual([4, 0]);
    expect(await connackOf('rot-1', 'a-guess')).toBe(4);
  });

  it('reinstates a revoked device with a new secret only, and never a decommissioned one, whose readings stay', async () => {
    const meter = (await admin.post('/v1/meters', { id: 'dec-1', regionId: 'fleet' })).body;
    const first = meter.mqtt.password as string;
    const device = await mqtt.connectAsync(platform.mqttUrl, { clientId: 'dec-1', username: 'dec-1', password: first, reconnectPeriod: 0 });
    await device.publishAsync('meters/dec-1/readings', JSON.stringify({ ts: '2013-12-02T10:30:00Z', periodS: 1800, consumptionWh: 120 }), {
      qos: 1,
    });
    await device.endAsync();

    expect((await admin.post('/v1/meters/dec-1/reinstate', {})).status).toBe(409); // not revoked
    expect((await admin.post('/v1/meters/dec-1/revoke', {})).status).toBe(200);
    expect(await connackOf('dec-1', first)).toBe(4);
    expect((await admin.post('/v1/meters/dec-1/rotate-secret', {})).status).toBe(409); // revoked: reinstate instead
    const back = await admin.post('/v1/meters/dec-1/reinstate', {});
    expect(back).toMatchObject({ status: 200, body: { previousSecretValidUntil: null } });
    // The secret it had when it was revoked is not trusted again; the new one opens.
    expect([await connackOf('dec-1', first), await connackOf('dec-1', back.body.mqtt.password)]).toEqual([4, 0]);

    const gone = await admin.post('/v1/meters/dec-1/decommission', {});
    expect(gone).toMatchObject({ status: 200, body: { id: 'dec-1', decommissionedAt: expect.any(String) } });
    expect(await connackOf('dec-1', back.body.mqtt.password)).toBe(4);
    expect((await admin.post('/v1/meters/dec-1/reinstate', {})).body).toMatchObject({
      status: 409,
      detail: expect.stringMatching(/decommissioned/),
    });
    expect((await admin.post('/v1/meters/dec-1/decommission', {})).status).toBe(409);
    // Its data is kept.
    const readings = (await admin.get('/v1/meters/dec-1/readings?from=2013-12-02T00:00:00Z&to=2013-12-03T00:00:00Z')).body.items;
    expect(readings.map((r: { consumptionWh: number }) => r.consumptionWh)).toEqual([120]);
    expect((await admin.post('/v1/meters/nobody/decommission', {})).status).toBe(404);
  });

  it('counts a meter’s readings again once an admin, or the meter itself with a new seqEpoch, declares its seq counter restarted, keeping what it sent before', async () => {
    const meter = (await admin.post('/v1/meters', { id: 'seq-1', regionId: 'fleet' })).body;
    const device = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: 'seq-1',
      username: 'seq-1',
      password: meter.mqtt.password,
      reconnectPeriod: 0,
    });
    const errors: { error: string }[] = [];
    device.on('message', (_topic, payload) => errors.push(JSON.parse(payload.toString())));
    await device.subscribeAsync('meters/seq-1/errors', { qos: 1 });
    const send = (ts: string, seq: number, wh: number) =>
      device.publishAsync('meters/seq-1/readings', JSON.stringify({ ts, periodS: 1800, consumptionWh: wh, seq }), { qos: 1 });
    const stored = async () =>
      (
        (await admin.get('/v1/meters/seq-1/readings?from=2013-12-02T00:00:00Z&to=2013-12-03T00:00:00Z')).body.items as {
          seq: number;
          consumptionWh: number;
        }[]
      ).map((r) => [r.seq, r.consumptionWh]);
    await send('2013-12-02T10:30:00Z', 1, 100);
    await send('2013-12-02T11:00:00Z', 2, 110);
    await expectEventually(async () => ((await stored()).length === 2 ? true : undefined));
    // A firmware update restarts the counter: seq 1 again, at a later time, is held by the reading stored as seq 1.
    await send('2013-12-02T11:30:00Z', 1, 120);
    await expectEventually(async () => (errors.some((e) => e.error === 'duplicate_conflict') ? true : undefined));
    expect(await stored()).toEqual([
      [1, 100],
      [2, 110],
    ]);
    // Declared by an admin: the claims are released, and the meter's new readings count.
    expect((await admin.post('/v1/meters/seq-1/seq-reset', {})).body).toMatchObject({ id: 'seq-1', seqsReleased: 2 });
    await send('2013-12-02T11:30:00Z', 1, 120);
    await send('2013-12-02T12:00:00Z', 2, 130);
    const after = await expectEventually(async () => ((await stored()).length === 4 ? stored() : undefined));
    expect(after).toEqual([
      [1, 100],
      [2, 110],
      [1, 120],
      [2, 130],
    ]);
    // A resend after the reset is still one reading: seen as a duplicate, not stored again.
    const duplicates = async () => metricValue(platform.httpUrl, 'wattline_readings_duplicate_total');
    const before = await duplicates();
    await send('2013-12-02T12:00:00Z', 2, 130);
    await expectEventually(async () => ((await duplicates()) > before ? true : undefined));
    expect(await stored()).toHaveLength(4);
    // Declared by the meter: a second restart names the next epoch, and its numbers count at once.
    const sendEpoch = (ts: string, seq: number, wh: number) =>
      device.publishAsync('meters/seq-1/readings', JSON.stringify({ ts, periodS: 1800, consumptionWh: wh, seq, seqEpoch: 1 }), { qos: 1 });
    await sendEpoch('2013-12-02T12:30:00Z', 1, 140);
    await sendEpoch('2013-12-02T13:00:00Z', 2, 150);
    const declared = await expectEventually(async () => ((await stored()).length === 6 ? stored() : undefined));
    expect(declared.slice(4)).toEqual([
      [1, 140],
      [2, 150],
    ]);
    await device.endAsync();
  });

  it('provisions devices from a CSV file all or none, answering once with their credentials as CSV', async () => {
    const upload = (csv: string, accept = 'text/csv') =>
      fetch(`${platform.httpUrl}/v1/meters/bulk`, {
        method: 'POST',
        headers: { authorization: `Bearer ${platform.adminKey}`, 'content-type': 'text/csv', accept },
        body: csv,
      });
    const file = [
      'id,regionId,kind,cohort,householdId',
      'bulk-1,fleet,meter,trial,',
      'bulk-2,fleet,meter,control,',
      'bulk-inv,fleet,inverter,,bulk-1',
    ].join('\n');
    const res = await upload(file);
    expect([res.status, res.headers.get('content-type')]).toEqual([201, expect.stringContaining('text/csv')]);
    const [header, ...lines] = (await res.text()).trim().split('\n');
    expect(header).toBe('id,regionId,kind,tariff,cohort,householdId,clientId,username,password');
    const rows = lines.map((l) => l.split(','));
    expect(rows.map((r) => [r[0], r[2], r[4], r[5]])).toEqual([
      ['bulk-1', 'meter', 'trial', ''],
      ['bulk-2', 'meter', 'control', ''],
      ['bulk-inv', 'inverter', '', 'bulk-1'],
    ]);
    // Each credential opens, once and for its own device.
    for (const r of rows) expect([r[0], await connackOf(r[0], r[8])]).toEqual([r[0], 0]);
    expect(await connackOf('bulk-2', rows[0][8])).toBe(4);
    expect((await admin.get('/v1/meters/bulk-inv')).body).toMatchObject({ kind: 'inverter', householdId: 'bulk-1' });

    // All or none: one id taken, nothing of the file is provisioned.
    const clash = await upload(['id,regionId', 'bulk-3,fleet', 'bulk-1,fleet'].join('\n'), 'application/json');
    expect([clash.status, (await clash.json()).detail]).toEqual([
      409,
      expect.stringMatching(/nothing provisioned: 1 id\(s\) exist already: bulk-1/),
    ]);
    expect((await admin.get('/v1/meters/bulk-3')).status).toBe(404);
    // A wrong row is named, before anything is written.
    const wrong = await upload(['id,regionId,kind', 'bulk-4,fleet,meter', 'bulk-5,nowhere,meter'].join('\n'), 'application/json');
    expect([wrong.status, (await wrong.json()).detail]).toEqual([
      400,
      expect.stringMatching(/meters\.1\.regionId: no region nowhere \(row 2\)/),
    ]);
    const unknownColumn = await upload('id,regionId,password\nx,fleet,hunter2', 'application/json');
    expect([unknownColumn.status, (await unknownColumn.json()).detail]).toEqual([400, expect.stringContaining('column "password"')]);
    expect((await admin.get('/v1/meters/bulk-4')).status).toBe(404);
    // The same as JSON.
    const json = await admin.post('/v1/meters/bulk', { meters: [{ id: 'bulk-6', regionId: 'fleet' }] });
    expect(json).toMatchObject({ status: 201, body: { meters: [{ id: 'bulk-6', kind: 'meter', username: 'bulk-6' }] } });
  });
});
