import { Validator } from '@seriousme/openapi-schema-validator';
import mqtt from 'mqtt';
import { Client } from 'pg';
import {
  DocumentedResponses,
  createTestDatabase,
  expectEventually,
  metricValue,
  restClient,
  startPlatformProcess,
  testServices,
  type PlatformProcess,
} from '@wattline/testing';

/** The API's own surface: its OpenAPI document checked by a real validator, roles, and API keys from issue to revocation. */
describe('API surface', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    platform = await startPlatformProcess({
      KAFKA_BROKERS: testServices().kafkaBrokers,
      KAFKA_TOPIC_PREFIX: `api${Date.now().toString(36)}.`,
      DATABASE_URL: db.url,
    });
  });

  afterAll(async () => {
    await platform?.stop();
    await db?.drop();
  });

  it('serves an OpenAPI 3.1 document that a validator accepts, describing every route it serves', async () => {
    const served = await fetch(`${platform.httpUrl}/openapi.json`);
    // Idle connections outlive a proxy's (60 s), so a reused one is never closed under a request.
    expect(served.headers.get('keep-alive')).toBe('timeout=65');
    const document = await served.json();
    const result = await new Validator().validate(document);
    expect([result.valid, result.errors]).toEqual([true, undefined]);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/v1/api-keys',
        '/v1/api-keys/{id}/revoke',
        '/v1/products/{regionId}/electricity-tariffs/{code}/standard-unit-rates/',
      ]),
    );
  });

  it('lists and revokes API keys: a revoked key stops working at once; roles hold', async () => {
    const admin = restClient(platform.httpUrl, platform.adminKey);
    const issued = await admin.post('/v1/api-keys', { name: 'grid analyst', role: 'analyst' });
    expect(issued.status).toBe(201);
    const analyst = restClient(platform.httpUrl, issued.body.key);
    expect((await analyst.get('/v1/regions')).status).toBe(200);
    // Roles: an analyst key may not issue, list or revoke keys; no key is a 401.
    expect((await analyst.post('/v1/api-keys', { name: 'mine', role: 'admin' })).status).toBe(403);
    expect((await analyst.get('/v1/api-keys')).status).toBe(403);
    expect((await restClient(platform.httpUrl, '').get('/v1/regions')).status).toBe(401);

    const second = (await admin.post('/v1/api-keys', { name: 'second', role: 'analyst' })).body;
    const firstPage = (await admin.get('/v1/api-keys?limit=1')).body;
    const secondPage = (await admin.get(`/v1/api-keys?limit=1&cursor=${firstPage.nextCursor}`)).body;
    expect([...firstPage.items, ...secondPage.items].map((k: { id: string }) => k.id)).toEqual([issued.body.id, second.id]);
    expect(JSON.stringify(firstPage)).not.toContain(issued.body.key);
    expect(firstPage.items[0]).toMatchObject({ name: 'grid analyst', role: 'analyst', revokedAt: null });
    const csv = await admin.get('/v1/api-keys', { accept: 'text/csv' });
    expect(csv.text.split('\n')[0]).toBe('id,name,role,createdAt,revokedAt,regions');

    const revoked = await admin.post(`/v1/api-keys/${issued.body.id}/revoke`, {});
    expect(revoked.status).toBe(200);
    expect((await analyst.get('/v1/regions')).status).toBe(401);
    expect((await admin.post(`/v1/api-keys/${issued.body.id}/revoke`, {})).status).toBe(404);
    expect((await admin.post('/v1/api-keys/not-a-uuid/revoke', {})).status).toBe(404);
    const listed = (await admin.get('/v1/api-keys')).body.items.find((k: { id: string }) => k.id === issued.body.id);
    expect(listed.revokedAt).toBe(revoked.body.revokedAt);
  });

  it('walks every documented operation: no key is a 401, a key below its role a 403, an analyst reads, lists answer CSV and refuse a cursor they did not issue, every error is problem+json', async () => {
    const admin = restClient(platform.httpUrl, platform.adminKey);
    await admin.post('/v1/regions', { id: 'walk', name: 'Walk' });
    const meter = (await admin.post('/v1/meters', { id: 'walk-m1', regionId: 'walk' })).body;
    expect(meter.id).toBe('walk-m1');
    const analystKey = (await admin.post('/v1/api-keys', { name: 'walker', role: 'analyst' })).body.key;
    const document = await (await fetch(`${platform.httpUrl}/openapi.json`)).json();
    const ids: Record<string, string> = { regionId: 'walk', code: 'WALK', intervalStart: '2013-12-02T17:00:00Z' };
    const concrete = (route: string) =>
      route.replace(/\{(\w+)\}/g, (_m, name: string) =>
        name === 'id'
          ? route.startsWith('/v1/meters')
            ? 'walk-m1'
            : route.startsWith('/v1/regions')
              ? 'walk'
              : '00000000-0000-4000-8000-000000000000'
          : (ids[name] ?? 'x'),
      );
    // Every answer of the walk, checked against the document: status, media type, body schema.
    const documented = DocumentedResponses.fromDocument(document);
    const resolve = (schema: { $ref?: string } | undefined) =>
      schema?.$ref ? document.components.schemas[schema.$ref.split('/').pop()!] : schema;
    const checked = async (method: string, res: Response) => {
      const text = await res.clone().text();
      const json = res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
      documented.check(method, res.url, res.status, res.headers.get('content-type'), json);
      return res;
    };
    const call = async (method: string, url: string, key: string | null, accept = 'application/json') =>
      checked(
        method,
        await fetch(`${platform.httpUrl}${url}`, {
          method: method.toUpperCase(),
          headers: {
            accept,
            ...(key ? { authorization: `Bearer ${key}` } : {}),
            ...(method === 'get' ? {} : { 'content-type': 'application/json' }),
          },
          body: method === 'get' ? undefined : '{}',
        }),
      );
    const problem = async (res: Response) => {
      expect([res.url, res.headers.get('content-type')]).toEqual([res.url, expect.stringContaining('application/problem+json')]);
      const body = await res.json();
      expect(typeof body.title === 'string' && typeof body.status === 'number').toBe(true);
      return body;
    };
    let walked = 0;
    let listed = 0;
    for (const [route, operations] of Object.entries(document.paths as Record<string, Record<string, any>>)) {
      for (const [method, operation] of Object.entries(operations)) {
        const role = operation['x-wattline-role'] as 'admin' | 'analyst' | undefined;
        const url = concrete(route);
        if (!role) continue; // public: /health, /metrics, the Octopus-shaped rates
        walked += 1;
        const anonymous = await call(method, url, null);
        expect([method, route, anonymous.status]).toEqual([method, route, 401]);
        await problem(anonymous);
        const asAnalyst = await call(method, url, analystKey);
        if (role === 'admin') {
          expect([method, route, asAnalyst.status]).toEqual([method, route, 403]);
          await problem(asAnalyst);
          continue;
        }
        // An analyst may: whatever the answer (200, or a 4xx for data this walk did not create), never 401/403.
        expect([method, route, [401, 403].includes(asAnalyst.status)]).toEqual([method, route, false]);
        if (asAnalyst.status >= 400) await problem(asAnalyst);
        const csvDocumented = Object.values(operation.responses as Record<string, any>).some((r) => r.content?.['text/csv']);
        if (method === 'get' && csvDocumented) {
          const csv = await call(method, url, analystKey, 'text/csv');
          expect([route, csv.status]).toEqual([route, 200]);
          expect([route, csv.headers.get('content-type')]).toEqual([route, expect.stringContaining('text/csv')]);
        }
        // A list (items and nextCursor) refuses a cursor it did not issue rather than starting again at page one.
        if (method === 'get' && resolve(operation.responses[200]?.content?.['application/json']?.schema)?.properties?.nextCursor) {
          listed += 1;
          const badCursor = await call(method, `${url}${url.includes('?') ? '&' : '?'}cursor=not-a-cursor-we-issued`, analystKey);
          expect([route, badCursor.status]).toEqual([route, 400]);
          expect((await problem(badCursor)).detail).toMatch(/cursor/i);
        }
      }
    }
    expect(walked).toBeGreaterThanOrEqual(29);
    expect(listed).toBeGreaterThanOrEqual(10);
  });

  it('keeps every dead letter in PostgreSQL, listed with its reason, and replays it after a fix without counting anything twice', async () => {
    const admin = restClient(platform.httpUrl, platform.adminKey);
    await admin.post('/v1/regions', { id: 'dl', name: 'Dead letters' });
    const meter = (await admin.post('/v1/meters', { id: 'dl-m1', regionId: 'dl' })).body;
    const device = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: 'dl-m1',
      username: 'dl-m1',
      password: meter.mqtt.password,
      reconnectPeriod: 0,
    });
    const errors: string[] = [];
    device.on('message', (_topic, payload) => errors.push(payload.toString()));
    await device.subscribeAsync('meters/dl-m1/errors', { qos: 1 });
    const malformed = JSON.stringify({ ts: '2013-12-02T10:00:00Z', periodS: 1800, consumptionWh: -5 });
    await device.publishAsync('meters/dl-m1/readings', malformed, { qos: 1 });
    await expectEventually(() => errors.find((e) => e.includes('invalid_energy')), { what: 'the meter told' });
    await device.endAsync();

    // Off Kafka's meter.readings.dlq into PostgreSQL, for operators to read.
    const listed = await expectEventually(
      async () =>
        (await admin.get('/v1/dead-letters?meterId=dl-m1')).body.items.find((l: { error: string }) => l.error === 'invalid_energy'),
      { what: 'the dead letter archived' },
    );
    expect(listed).toMatchObject({
      stream: 'readings',
      meterId: 'dl-m1',
      topic: 'meters/dl-m1/readings',
      payload: malformed,
      timesSeen: 1,
      replayedAt: null,
    });
    expect((await admin.get('/v1/dead-letters?meterId=dl-m1&stream=status')).body.items).toEqual([]);
    expect((await admin.get('/v1/dead-letters?error=invalid_energy')).body.items.map((l: { id: string }) => l.id)).toContain(listed.id);
    const csv = await admin.get('/v1/dead-letters?meterId=dl-m1', { accept: 'text/csv' });
    expect(csv.text.split('\n')[0]).toBe(
      'id,stream,meterId,topic,error,detail,index,payload,source,receivedAt,firstSeenAt,lastSeenAt,timesSeen,replayRequestedAt,replayedAt,replayOutcome',
    );
    expect((await admin.get('/v1/dead-letters?error=Not-A-Code')).status).toBe(400);
    // The region's alert conditions name it, with the fleet in numbers.
    const conditions = (await admin.get('/v1/regions/dl/alerts')).body;
    expect(conditions.fleet).toMatchObject({ devices: 1, deadLettersLastHour: 1 });
    expect(conditions.alerts).toContainEqual({
      alert: 'WattlineDeadLetters',
      severity: 'warning',
      tariff: null,
      summary: "1 dead letter(s) of this region's devices in the last hour (GET /v1/dead-letters)",
    });
    expect((await admin.get('/v1/regions/nowhere/alerts')).status).toBe(404);

    // A letter from before a fix: a reading refused by a rule since relaxed, as the archive holds it.
    const sql = new Client({ connectionString: db.url });
    await sql.connect();
    const prefix = (
      await sql.query(
        `INSERT INTO dead_letters (stream, fingerprint, meter_id, topic, error, detail, payload, received_at)
         VALUES ('readings', 'before-the-fix', 'dl-m1', 'meters/dl-m1/readings', 'invalid_energy', 'a rule since relaxed', $1, '2013-12-02T10:31:00Z')
         RETURNING id`,
        [JSON.stringify({ ts: '2013-12-02T10:30:00Z', periodS: 1800, consumptionWh: 250 })],
      )
    ).rows[0].id as string;
    await sql.end();

    const replay = await admin.post('/v1/dead-letters/replay', { ids: [listed.id, String(prefix), '999999'] });
    expect(replay).toMatchObject({ status: 202, body: { requested: [listed.id, String(prefix)], unknown: ['999999'] } });
    expect((await admin.post('/v1/dead-letters/replay', { ids: [] })).status).toBe(400);
    const outcomes = async () => {
      const items = (await admin.get('/v1/dead-letters?meterId=dl-m1')).body.items as { id: string; replayOutcome: string | null }[];
      return items.every((l) => l.replayOutcome !== null) ? new Map(items.map((l) => [l.id, l.replayOutcome])) : undefined;
    };
    const done = await expectEventually(outcomes, { what: 'both replayed' });
    // Still wrong by today's rules: refused again, with the reason. Valid now: handed to the stream and stored.
    expect(done.get(listed.id)).toMatch(/^refused: invalid_energy/);
    expect(done.get(String(prefix))).toBe('republished: 1 reading');
    const readingsAt = async () =>
      (await admin.get('/v1/meters/dl-m1/readings?from=2013-12-02T00:00:00Z&to=2013-12-03T00:00:00Z')).body.items as {
        ts: string;
        consumptionWh: number;
      }[];
    const stored = await expectEventually(async () => ((await readingsAt()).length > 0 ? readingsAt() : undefined), {
      what: 'the replayed reading stored',
    });
    expect(stored.map((r) => [r.ts, r.consumptionWh])).toEqual([['2013-12-02T10:30:00.000Z', 250]]);
    // Replayed twice, it is stored once: a replay is a reading like any other, and a duplicate is not counted twice.
    const duplicates = async () => metricValue(platform.httpUrl, 'wattline_readings_duplicate_total');
    const before = await duplicates();
    await admin.post('/v1/dead-letters/replay', { ids: [String(prefix)] });
    await expectEventually(async () => ((await duplicates()) > before ? true : undefined), {
      what: 'the second replay seen as a duplicate',
    });
    expect((await readingsAt()).length).toBe(1);
    // A reading's ts ends its period: 10:00–10:30.
    const aggregate = (await admin.get('/v1/regions/dl/aggregates?from=2013-12-02T10:00:00Z&to=2013-12-02T10:30:00Z')).body.items;
    expect(aggregate.map((a: { demandWh: number; readings: number }) => [a.demandWh, a.readings])).toEqual([[250, 1]]);
  });
});
