import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { openAdrDocumentPath, programIdOf } from '@wattline/contracts';
import {
  OpenAdrDocument,
  createTestDatabase,
  expectEventually,
  restClient,
  startPlatformProcess,
  type PlatformProcess,
} from '@wattline/testing';

/**
 * A VEN (an EV charger's) journey through Wattline's OpenADR 3.1 VTN, written from the
 * definition's sequence diagrams (VEN enrolment, MQTT notifications), over real HTTP and MQTT:
 * enrolled by an admin, it trades its client credentials for a token, discovers its program and
 * the MQTT notifier, subscribes to its program's event topic with the token as its password, and
 * when the next day is announced receives it — the notification exactly what GET returns, its
 * prices those of `prices/{region}/forecast`. Every answer of the VTN, and the notification, is
 * checked against the OpenADR Alliance's document (libs/contracts/openadr3/openadr3.yaml) itself.
 */
const doc = new OpenAdrDocument(openAdrDocumentPath());

describe('OpenADR 3.1 VTN', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;
  let admin: ReturnType<typeof restClient>;

  /** A VTN request; its answer checked against the OpenADR document. */
  const vtn = async (method: 'GET' | 'POST', path: string, options: { token?: string; form?: Record<string, string> } = {}) => {
    const res = await fetch(`${platform.httpUrl}/openadr/3${path}`, {
      method,
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: options.form ? new URLSearchParams(options.form).toString() : undefined,
    });
    const body = (await res.json()) as any;
    doc.checkResponse(method, new URL(path, 'http://x').pathname, res.status, res.headers.get('content-type'), body);
    return { status: res.status, body };
  };
  const readingAt = async (id: string, password: string, ts: string) => {
    const meter = await mqtt.connectAsync(platform.mqttUrl, { clientId: id, username: id, password, reconnectPeriod: 0 });
    await meter.publishAsync(`meters/${id}/readings`, JSON.stringify({ ts, periodS: 1800, consumptionWh: 300 }), { qos: 1 });
    await meter.endAsync();
  };

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    platform = await startPlatformProcess({ DATABASE_URL: db.url, ALLOW_ANONYMOUS_DISPLAYS: 'true' });
    admin = restClient(platform.httpUrl, platform.adminKey);
  });

  afterAll(async () => {
    await platform?.stop();
    await db?.drop();
  });

  it('takes a VEN from enrolment to tomorrow’s prices over MQTT, each answer as the OpenADR document says', async () => {
    const pricing = { model: 'flat', currency: 'GBP', price: '0.2400', feedInPrice: '0.0500' };
    expect((await admin.post('/v1/regions', { id: 'home', name: 'Home', timezone: 'Europe/London', pricing })).status).toBe(201);
    expect((await admin.post('/v1/regions', { id: 'elsewhere', name: 'Elsewhere', timezone: 'Europe/London', pricing })).status).toBe(201);
    const meter = (await admin.post('/v1/meters', { id: 'home-meter', regionId: 'home' })).body;
    await readingAt('home-meter', meter.mqtt.password, '2013-12-02T10:00:00Z');

    // Enrolment (BL provides the client id and credentials; the VEN is configured with them).
    const enrolled = await admin.post('/v1/openadr/clients', { name: 'ev-charger-1', regionId: 'home' });
    expect(enrolled).toMatchObject({
      status: 201,
      body: { role: 'ven', targets: ['tariff:home/dynamic'], programIDs: [programIdOf({ regionId: 'home', tariff: 'dynamic' })] },
    });
    expect((await admin.post('/v1/openadr/clients', { name: 'ev-charger-1', regionId: 'home' })).status).toBe(409);
    expect((await admin.post('/v1/openadr/clients', { name: 'no-region' })).body).toMatchObject({
      status: 400,
      errors: [{ field: 'regionId' }],
    });
    const { clientID, clientSecret } = enrolled.body;
    const [programId] = enrolled.body.programIDs as string[];

    // Auth: the token endpoint, client credentials for a token.
    const server = await vtn('GET', '/auth/server');
    expect(server.body.tokenURL).toBe(`${platform.httpUrl}/openadr/3/auth/token`);
    expect(
      (await vtn('POST', '/auth/token', { form: { grant_type: 'client_credentials', client_id: clientID, client_secret: 'wrong' } }))
        .status,
    ).toBe(401);
    expect(
      (await vtn('POST', '/auth/token', { form: { grant_type: 'password', client_id: clientID, client_secret: clientSecret } })).status,
    ).toBe(400);
    const issued = await vtn('POST', '/auth/token', {
      form: { grant_type: 'client_credentials', client_id: clientID, client_secret: clientSecret },
    });
    expect(issued).toMatchObject({ status: 200, body: { token_type: 'Bearer', expires_in: 3600 } });
    const token = issued.body.access_token as string;
    expect((await vtn('GET', '/programs')).status).toBe(401);
    expect((await vtn('GET', '/programs', { token: 'ven_nobody.guess' })).status).toBe(401);

    // Discovery: its program only (object privacy), the MQTT binding, its program's event topics.
    const programs = await vtn('GET', '/programs', { token });
    expect(programs.body.map((p: { id: string }) => p.id)).toEqual([programId]);
    expect(programs.body[0]).toMatchObject({
      objectType: 'PROGRAM',
      programName: 'home/dynamic',
      payloadDescriptors: [
        { payloadType: 'PRICE', units: 'KWH', currency: 'GBP' },
        { payloadType: 'EXPORT_PRICE', units: 'KWH', currency: 'GBP' },
      ],
    });
    const elsewhere = programIdOf({ regionId: 'elsewhere', tariff: 'dynamic' });
    expect((await vtn('GET', `/programs/${elsewhere}`, { token })).status).toBe(404);
    expect((await vtn('GET', '/programs?limit=51', { token })).status).toBe(400);
    // Business logic (here a Wattline admin key) reads every program.
    expect((await vtn('GET', '/programs', { token: platform.adminKey })).body.map((p: { id: string }) => p.id).sort()).toEqual(
      [programId, elsewhere].sort(),
    );
    const notifiers = await vtn('GET', '/notifiers', { token });
    expect(notifiers.body.MQTT).toMatchObject({
      URIS: [`mqtt://127.0.0.1:${platform.ports.mqtt}`],
      serialization: 'JSON',
      authentication: { method: 'OAUTH2_BEARER_TOKEN', username: '{clientID}' },
    });
    const topics = (await vtn('GET', `/notifiers/mqtt/topics/programs/${programId}/events`, { token })).body.topics;
    expect((await vtn('GET', `/notifiers/mqtt/topics/programs/${elsewhere}/events`, { token })).status).toBe(404);
    expect((await vtn('GET', '/notifiers/mqtt/topics/events', { token })).status).toBe(403);

    // The VTN's broker: the client id as username, the token as password; only its own program's topics.
    const ven = await mqtt.connectAsync(platform.mqttUrl, { clientId: clientID, username: clientID, password: token, reconnectPeriod: 0 });
    const granted = (filter: string) =>
      ven.subscribeAsync(filter, { qos: 1 }).then(
        (g) => g[0].qos,
        (e: { packet: { granted: number[] } }) => e.packet.granted[0],
      );
    expect(await granted(topics.CREATE)).toBe(1);
    expect(await granted(topics.UPDATE)).toBe(1);
    for (const refused of ['openadr/3/events/+', `openadr/3/programs/${elsewhere}/events/create`, 'openadr/3/#', 'prices/home/forecast'])
      expect([refused, await granted(refused)]).toEqual([refused, 128]);
    const notifications: { topic: string; body: any }[] = [];
    ven.on('message', (topic, payload) => notifications.push({ topic, body: JSON.parse(payload.toString()) }));
    // A household display beside it, on the region's forecast topic.
    const display = await mqtt.connectAsync(platform.mqttUrl, { reconnectPeriod: 0 });
    const forecasts: { intervals: { intervalStart: string; price: string; feedInPrice?: string }[] }[] = [];
    display.on('message', (_topic, payload) => forecasts.push(JSON.parse(payload.toString())));
    await display.subscribeAsync('prices/home/forecast', { qos: 1 });

    // The region's clock passes the cut-off: the 3rd is announced.
    await readingAt('home-meter', meter.mqtt.password, '2013-12-02T17:00:00Z');
    const notified = await expectEventually(() => notifications.find((n) => n.topic === topics.CREATE), { what: 'the 3rd notified' });
    doc.checkSchema('notification', notified.body);
    expect(notified.body).toMatchObject({ objectType: 'EVENT', operation: 'CREATE' });
    const event = notified.body.object;
    // Exactly what a GET returns.
    expect((await vtn('GET', `/events/${event.id}`, { token })).body).toEqual(event);
    expect((await vtn('GET', `/events?programID=${programId}`, { token })).body).toEqual([event]);
    expect(event).toMatchObject({ programID: programId, intervalPeriod: { start: '2013-12-03T00:00:00.000Z', duration: 'PT30M' } });
    expect(event.intervals).toHaveLength(48);
    // Its prices are the ones displays were told, interval by interval.
    const told = await expectEventually(() => forecasts.find((f) => f.intervals.some((i) => i.intervalStart.startsWith('2013-12-03'))), {
      what: 'the forecast topic',
    });
    const tomorrow = told.intervals.filter((i) => i.intervalStart.startsWith('2013-12-03'));
    expect(
      event.intervals.map((i: { intervalPeriod: { start: string }; payloads: { type: string; values: number[] }[] }) => [
        i.intervalPeriod.start,
        i.payloads.find((p) => p.type === 'PRICE')!.values[0],
      ]),
    ).toEqual(tomorrow.map((i) => [i.intervalStart, Number(i.price)]));
    expect(
      new Set(
        event.intervals.map(
          (i: { payloads: { type: string; values: number[] }[] }) => i.payloads.find((p) => p.type === 'EXPORT_PRICE')!.values[0],
        ),
      ),
    ).toEqual(new Set([0.05]));
    // A home energy manager without OpenADR reads the same prices as a plain feed (evcc's custom tariff), public.
    const feed = await restClient(platform.httpUrl, 'no-key').get('/v1/regions/home/price-feed');
    expect(feed.status).toBe(200);
    const feedTomorrow = (feed.body as { start: string; end: string; value: number }[]).filter((r) => r.start.startsWith('2013-12-03'));
    expect(feedTomorrow.map((r) => [r.start, r.value])).toEqual(tomorrow.map((i) => [i.intervalStart, Number(i.price)]));
    expect(feedTomorrow[0]).toEqual({ start: '2013-12-03T00:00:00.000Z', end: '2013-12-03T00:30:00.000Z', value: 0.24 });
    const exported = (await restClient(platform.httpUrl, 'no-key').get('/v1/regions/home/price-feed?kind=export')).body as {
      value: number;
    }[];
    expect(new Set(exported.map((r) => r.value))).toEqual(new Set([0.05]));
    expect((await restClient(platform.httpUrl, 'no-key').get('/v1/regions/home/price-feed?tariff=nope')).status).toBe(404);
    // Another VEN's event is not its to read; an unknown id is a 404 problem.
    expect((await vtn('GET', '/events/bm90LWFuLWV2ZW50', { token })).status).toBe(404);
    // The document the VTN serves is the OpenADR Alliance's, as the repository holds it.
    const served = await fetch(`${platform.httpUrl}/openadr/3/openapi.yaml`).then((r) => r.text());
    expect(served).toBe(readFileSync(openAdrDocumentPath(), 'utf8'));
    await Promise.all([ven.endAsync(), display.endAsync()]);
  });
});
