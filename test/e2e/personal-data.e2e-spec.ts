import mqtt from 'mqtt';
import { createTestDatabase, restClient, startPlatformProcess, type PlatformProcess } from '@wattline/testing';

/**
 * Household data is personal data: an analyst key scoped to a region reads nothing of another
 * (its regions and households answer 404, as if they did not exist), and every read of a
 * household's readings, meter or bill is in the audit log, which admins query.
 */
describe('personal data', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;
  let admin: ReturnType<typeof restClient>;

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    platform = await startPlatformProcess({ DATABASE_URL: db.url });
    admin = restClient(platform.httpUrl, platform.adminKey);
    for (const id of ['north', 'south']) {
      await admin.post('/v1/regions', { id, name: id });
      const meter = (await admin.post('/v1/meters', { id: `${id}-1`, regionId: id })).body;
      const device = await mqtt.connectAsync(platform.mqttUrl, {
        clientId: meter.id,
        username: meter.id,
        password: meter.mqtt.password,
        reconnectPeriod: 0,
      });
      await device.publishAsync(
        `meters/${meter.id}/readings`,
        JSON.stringify({ ts: '2013-12-02T10:30:00Z', periodS: 1800, consumptionWh: 200 }),
        { qos: 1 },
      );
      await device.endAsync();
    }
  });

  afterAll(async () => {
    await platform?.stop();
    await db?.drop();
  });

  it('keeps a key scoped to a region out of every other region and its households, and logs every household read', async () => {
    expect((await admin.post('/v1/api-keys', { name: 'scoped admin', role: 'admin', regions: ['north'] })).status).toBe(400);
    expect((await admin.post('/v1/api-keys', { name: 'nowhere', role: 'analyst', regions: ['atlantis'] })).status).toBe(400);
    const issued = await admin.post('/v1/api-keys', { name: 'north analyst', role: 'analyst', regions: ['north'] });
    expect(issued).toMatchObject({ status: 201, body: { regions: ['north'] } });
    const analyst = restClient(platform.httpUrl, issued.body.key);
    const window = 'from=2013-12-02T00:00:00Z&to=2013-12-03T00:00:00Z';

    // Its own region and household, as any analyst reads them.
    expect((await analyst.get('/v1/regions')).body.items.map((r: { id: string }) => r.id)).toEqual(['north']);
    expect((await analyst.get('/v1/meters?regionId=north')).body.items.map((m: { id: string }) => m.id)).toEqual(['north-1']);
    expect((await analyst.get(`/v1/meters/north-1/readings?${window}`)).body.items).toHaveLength(1);
    expect((await analyst.get(`/v1/meters/north-1/bill?${window}`)).status).toBe(200);
    // Another region and its households do not exist for it.
    for (const path of [
      '/v1/regions/south',
      `/v1/regions/south/bills?${window}`,
      '/v1/meters/south-1',
      `/v1/meters/south-1/readings?${window}`,
      '/v1/meters?regionId=south',
    ])
      expect([path, (await analyst.get(path)).status]).toEqual([path, 404]);
    expect((await analyst.get('/v1/meters')).status).toBe(400);
    // An unscoped key still reads both.
    expect((await admin.get(`/v1/meters/south-1/readings?${window}`)).body.items).toHaveLength(1);

    // Who read whose data, newest first; refused reads are none.
    const log = (await admin.get(`/v1/audit-log?keyId=${issued.body.id}`)).body.items as {
      action: string;
      meterId: string | null;
      keyName: string;
      path: string;
    }[];
    expect(log.map((e) => [e.action, e.meterId, e.keyName])).toEqual([
      ['bill', 'north-1', 'north analyst'],
      ['readings', 'north-1', 'north analyst'],
    ]);
    expect(log[1].path).toBe(`/v1/meters/north-1/readings?${window}`);
    const south = (await admin.get('/v1/audit-log?meterId=south-1')).body.items as { keyId: string; action: string }[];
    expect(south.map((e) => [e.keyId, e.action])).toEqual([['admin', 'readings']]);
    expect((await analyst.get('/v1/audit-log')).status).toBe(403);
    // Nor is it the VTN's business logic, which reads every VEN's reports: an unscoped key is.
    const vtn = (key: string) =>
      fetch(`${platform.httpUrl}/openadr/3/reports`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
    expect([await vtn(issued.body.key), await vtn(platform.adminKey)]).toEqual([403, 200]);
    const csv = await admin.get('/v1/audit-log?meterId=north-1', { accept: 'text/csv' });
    expect(csv.text.split('\n')[0]).toBe('id,keyId,keyName,action,meterId,regionId,path,at');
  });
});
