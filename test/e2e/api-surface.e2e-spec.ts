import { Validator } from '@seriousme/openapi-schema-validator';
import { createTestDatabase, restClient, startPlatformProcess, testServices, type PlatformProcess } from '@wattline/testing';

/** The API's own surface: its OpenAPI document checked by a real validator, roles, and API keys from issue to revocation. */
describe('API surface', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    platform = await startPlatformProcess({ KAFKA_BROKERS: testServices().kafkaBrokers, KAFKA_TOPIC_PREFIX: `api${Date.now().toString(36)}.`, DATABASE_URL: db.url });
  });

  afterAll(async () => {
    await platform?.stop();
    await db?.drop();
  });

  it('serves an OpenAPI 3.1 document that a validator accepts, describing every route it serves', async () => {
    const document = await (await fetch(`${platform.httpUrl}/openapi.json`)).json();
    const result = await new Validator().validate(document);
    expect([result.valid, result.errors]).toEqual([true, undefined]);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/api-keys', '/v1/api-keys/{id}/revoke', '/v1/products/{regionId}/electricity-tariffs/{code}/standard-unit-rates/']),
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
    expect(csv.text.split('\n')[0]).toBe('id,name,role,createdAt,revokedAt');

    const revoked = await admin.post(`/v1/api-keys/${issued.body.id}/revoke`, {});
    expect(revoked.status).toBe(200);
    expect((await analyst.get('/v1/regions')).status).toBe(401);
    expect((await admin.post(`/v1/api-keys/${issued.body.id}/revoke`, {})).status).toBe(404);
    expect((await admin.post('/v1/api-keys/not-a-uuid/revoke', {})).status).toBe(404);
    const listed = (await admin.get('/v1/api-keys')).body.items.find((k: { id: string }) => k.id === issued.body.id);
    expect(listed.revokedAt).toBe(revoked.body.revokedAt);
  });
});
