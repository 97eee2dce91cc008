import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { Client } from 'pg';
import { openAdrDocumentPath, programIdOf } from '@wattline/contracts';
import {
  OpenAdrDocument,
  createTestDatabase,
  expectEventually,
  restClient,
  startPlatformProcess,
  testCertificateAuthority,
  type PlatformProcess,
} from '@wattline/testing';

/**
 * A VEN (an EV charger's) journey through Wattline's OpenADR 3.1 VTN, written from the
 * definition's sequence diagrams (VEN enrolment, MQTT notifications), over real HTTP and MQTT:
 * enrolled by an admin, it trades its client credentials for a token, discovers its program and
 * the MQTT notifier, subscribes to its program's and its ven's event topics with the token as its
 * password and by webhook (an HTTPS endpoint of the test's own that passes the echo challenge and
 * fails its first delivery), and when the next day is announced receives it on all three — the
 * notification exactly what GET returns, its prices those of `prices/{region}/forecast` — then
 * reports its usage on it. A second VEN, of another region, sees none of it until business logic
 * grants it the tariff's target on its ven object. Every answer of the VTN, and the notification, is
 * checked against the OpenADR Alliance's document (libs/contracts/openadr3/openadr3.yaml) itself.
 */
const doc = new OpenAdrDocument(openAdrDocumentPath());

describe('OpenADR 3.1 VTN', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;
  let admin: ReturnType<typeof restClient>;

  let dir: string;
  let callbacks: Server;
  let callbackBase: string;
  /** What the VENs' webhook endpoint received: echo challenges and notifications, with the status it answered. */
  const received: { method: string; path: string; authorization?: string; body: any; answered: number }[] = [];

  /** A VTN request; its answer checked against the OpenADR document. */
  const vtn = async (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    options: { token?: string; form?: Record<string, string>; json?: unknown } = {},
  ) => {
    const res = await fetch(`${platform.httpUrl}/openadr/3${path}`, {
      method,
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...(options.json !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: options.form
        ? new URLSearchParams(options.form).toString()
        : options.json !== undefined
          ? JSON.stringify(options.json)
          : undefined,
    });
    const body = (await res.json()) as any;
    doc.checkResponse(method, new URL(path, 'http://x').pathname, res.status, res.headers.get('content-type'), body);
    return { status: res.status, body };
  };
  const tokenOf = async (clientID: string, clientSecret: string) =>
    (await vtn('POST', '/auth/token', { form: { grant_type: 'client_credentials', client_id: clientID, client_secret: clientSecret } }))
      .body.access_token as string;
  const grantedOn = (client: mqtt.MqttClient, filter: string) =>
    client.subscribeAsync(filter, { qos: 1 }).then(
      (g) => g[0].qos,
      (e: { packet: { granted: number[] } }) => e.packet.granted[0],
    );
  const readingAt = async (id: string, password: string, ts: string) => {
    const meter = await mqtt.connectAsync(platform.mqttUrl, { clientId: id, username: id, password, reconnectPeriod: 0 });
    await meter.publishAsync(`meters/${id}/readings`, JSON.stringify({ ts, periodS: 1800, consumptionWh: 300 }), { qos: 1 });
    await meter.endAsync();
  };

  beforeAll(async () => {
    // The VENs' webhook endpoint: HTTPS with a certificate of the test's CA (which the VTN is told to trust).
    dir = mkdtempSync(path.join(tmpdir(), 'wattline-ven-'));
    const ca = testCertificateAuthority(dir).sign('server', 'localhost', { server: true });
    callbacks = createServer({ cert: ca.file('server.crt'), key: ca.file('server.key') }, (req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        const url = new URL(req.url!, 'https://x');
        const first =
          req.method === 'POST' && url.pathname === '/events' && !received.some((r) => r.method === 'POST' && r.path === '/events');
        // The first notification is refused (a VEN restarting): the VTN must try again.
        const answered = url.pathname === '/no-echo' ? 404 : first ? 503 : 200;
        received.push({
          method: req.method!,
          path: url.pathname,
          authorization: req.headers.authorization,
          body: text && JSON.parse(text),
          answered,
        });
        res.writeHead(answered).end(url.searchParams.get('echo') ?? '');
      });
    });
    await new Promise<void>((resolve) => callbacks.listen(0, '127.0.0.1', resolve));
    callbackBase = `https://localhost:${(callbacks.address() as AddressInfo).port}`;
    db = await createTestDatabase({ empty: true });
    platform = await startPlatformProcess({
      DATABASE_URL: db.url,
      ALLOW_ANONYMOUS_DISPLAYS: 'true',
      OPENADR_WEBHOOK_CA: ca.path('ca.crt'),
      // The VENs' endpoint is on this machine's loopback: allowed here, refused by default.
      OPENADR_WEBHOOK_PRIVATE_NETWORKS: 'true',
    });
    admin = restClient(platform.httpUrl, platform.adminKey);
  });

  afterAll(async () => {
    await platform?.stop();
    await db?.drop();
    await new Promise((resolve) => callbacks?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  /** State shared by the journey and the privacy case after it. */
  const journey: {
    eventId?: string;
    reportId?: string;
    venId?: string;
    event?: any;
    other?: { clientID: string; clientSecret: string; venID: string };
  } = {};

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
    const { clientID, clientSecret, venID } = enrolled.body;
    const [programId] = enrolled.body.programIDs as string[];
    // Another region's VEN: it must hear nothing of this region's program.
    const other = await admin.post('/v1/openadr/clients', { name: 'heat-pump-2', regionId: 'elsewhere' });
    expect(other.status).toBe(201);
    journey.other = other.body;

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
    expect(notifiers.body.WEBHOOK).toBe(true);
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
    const granted = (filter: string) => grantedOn(ven, filter);
    expect(await granted(topics.CREATE)).toBe(1);
    expect(await granted(topics.UPDATE)).toBe(1);
    for (const refused of ['openadr/3/events/+', `openadr/3/programs/${elsewhere}/events/create`, 'openadr/3/#', 'prices/home/forecast'])
      expect([refused, await granted(refused)]).toEqual([refused, 128]);
    // Its ven object, made at enrolment: the grant it reads by, and a topic of its own for its events.
    const vens = await vtn('GET', '/vens', { token });
    expect(vens.body).toEqual([
      expect.objectContaining({ id: venID, objectType: 'VEN', clientID, venName: 'ev-charger-1', targets: ['tariff:home/dynamic'] }),
    ]);
    const venTopics = (await vtn('GET', `/notifiers/mqtt/topics/vens/${venID}/events`, { token })).body.topics;
    expect(await granted(venTopics.CREATE)).toBe(1);
    expect((await vtn('GET', `/notifiers/mqtt/topics/vens/${other.body.venID}/events`, { token })).status).toBe(404);
    expect((await vtn('GET', '/notifiers/mqtt/topics/reports', { token })).status).toBe(404);
    const notifications: { topic: string; body: any }[] = [];
    ven.on('message', (topic, payload) => notifications.push({ topic, body: JSON.parse(payload.toString()) }));

    // Webhook subscriptions (the definition's Subscriptions diagram): https only, the echo challenge passed first.
    const eventsHook = (callbackUrl: string) => ({
      clientName: 'ev-charger-1',
      programID: programId,
      objectOperations: [{ objects: ['EVENT'], operations: ['CREATE', 'UPDATE'], callbackUrl, bearerToken: 'charger-secret' }],
    });
    expect((await vtn('POST', '/subscriptions', { token, json: eventsHook('http://localhost/events') })).status).toBe(400);
    const noEcho = await vtn('POST', '/subscriptions', { token, json: eventsHook(`${callbackBase}/no-echo`) });
    expect([noEcho.status, noEcho.body.detail]).toEqual([
      400,
      expect.stringMatching(/echo challenge: answered the echo challenge with 404/),
    ]);
    expect(
      (await vtn('POST', '/subscriptions', { token, json: { clientName: 'x', objectOperations: [{ objects: ['EVENT'] }] } })).status,
    ).toBe(400);
    expect(
      (await vtn('POST', '/subscriptions', { token, json: { ...eventsHook(`${callbackBase}/events`), programID: elsewhere } })).status,
    ).toBe(400);
    const subscribed = await vtn('POST', '/subscriptions', { token, json: eventsHook(`${callbackBase}/events`) });
    expect(subscribed).toMatchObject({ status: 201, body: { objectType: 'SUBSCRIPTION', clientID, programID: programId } });
    expect(received.filter((r) => r.path === '/events').map((r) => r.method)).toEqual(['GET']);
    expect((await vtn('GET', '/subscriptions', { token })).body).toEqual([subscribed.body]);
    // The other region's VEN subscribes to every event it may read; business logic to every report.
    const otherToken = await tokenOf(other.body.clientID, other.body.clientSecret);
    const otherHook = await vtn('POST', '/subscriptions', {
      token: otherToken,
      json: {
        clientName: 'heat-pump-2',
        objectOperations: [{ objects: ['EVENT'], operations: ['CREATE'], callbackUrl: `${callbackBase}/other` }],
      },
    });
    expect(otherHook.status).toBe(201);
    expect((await vtn('GET', '/subscriptions', { token })).body).toHaveLength(1);
    expect((await vtn('GET', `/subscriptions/${otherHook.body.id}`, { token })).status).toBe(404);
    const reportsHook = await vtn('POST', '/subscriptions', {
      token: platform.adminKey,
      json: {
        clientName: 'utility',
        objectOperations: [{ objects: ['REPORT'], operations: ['CREATE'], callbackUrl: `${callbackBase}/reports` }],
      },
    });
    expect(reportsHook.status).toBe(201);
    expect((await vtn('GET', '/subscriptions?objects=REPORT', { token: platform.adminKey })).body.map((s: { id: string }) => s.id)).toEqual(
      [reportsHook.body.id],
    );
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
    // The same on its ven's own topic.
    const onVenTopic = await expectEventually(() => notifications.find((n) => n.topic === venTopics.CREATE), { what: 'the ven topic' });
    expect(onVenTopic.body).toEqual(notified.body);
    // And by webhook: refused once, tried again after the back-off, with the bearer token it gave.
    const hooked = await expectEventually(() => received.find((r) => r.path === '/events' && r.method === 'POST' && r.answered === 200), {
      what: 'the webhook notification',
      timeoutMs: 15_000,
    });
    doc.checkSchema('notification', hooked.body);
    expect(hooked.body).toEqual(notified.body);
    expect(hooked.authorization).toBe('Bearer charger-secret');
    expect(received.filter((r) => r.path === '/events' && r.method === 'POST').map((r) => r.answered)).toEqual([503, 200]);
    // The other region's VEN is owed nothing: object privacy holds in the outbox itself.
    const sql = new Client({ connectionString: db.url });
    await sql.connect();
    const owed = await sql.query(`SELECT subscription_id, state, attempts FROM openadr_deliveries ORDER BY id`);
    await sql.end();
    expect(owed.rows).toEqual([{ subscription_id: subscribed.body.id, state: 'delivered', attempts: 2 }]);
    journey.event = event;
    journey.venId = venID;
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
    // The VEN reports its usage on the event; business logic hears of it by webhook.
    const reported = await vtn('POST', '/reports', {
      token,
      json: {
        eventID: event.id,
        clientName: 'ev-charger-1',
        reportName: 'charging 2013-12-03',
        resources: [
          {
            resourceName: 'charger',
            intervalPeriod: { start: '2013-12-03T00:00:00.000Z', duration: 'PT30M' },
            intervals: [{ id: 0, payloads: [{ type: 'USAGE', values: [3.5] }] }],
          },
        ],
      },
    });
    expect(reported).toMatchObject({
      status: 201,
      body: { objectType: 'REPORT', clientID, eventID: event.id, reportName: 'charging 2013-12-03' },
    });
    journey.reportId = reported.body.id;
    expect((await vtn('GET', `/reports?eventID=${event.id}`, { token })).body).toEqual([reported.body]);
    expect((await vtn('GET', `/reports?programID=${programId}`, { token: platform.adminKey })).body).toEqual([reported.body]);
    const reportHooked = await expectEventually(() => received.find((r) => r.path === '/reports' && r.method === 'POST'), {
      what: 'business logic told of the report',
    });
    doc.checkSchema('notification', reportHooked.body);
    expect(reportHooked.body).toMatchObject({ objectType: 'REPORT', operation: 'CREATE', object: reported.body });
    // The document the VTN serves is the OpenADR Alliance's, as the repository holds it.
    const served = await fetch(`${platform.httpUrl}/openadr/3/openapi.yaml`).then((r) => r.text());
    expect(served).toBe(readFileSync(openAdrDocumentPath(), 'utf8'));
    await Promise.all([ven.endAsync(), display.endAsync()]);
  });

  it('keeps each VEN to its own objects, and lets business logic alone grant it a program', async () => {
    const { event, reportId, venId, other } = journey;
    expect(event).toBeDefined();
    const token = await tokenOf(other!.clientID, other!.clientSecret);
    const programId = programIdOf({ regionId: 'home', tariff: 'dynamic' });
    // Another VEN's report and ven object do not exist for it; its own lists hold only its own.
    expect((await vtn('GET', '/reports', { token })).body).toEqual([]);
    expect((await vtn('GET', `/reports/${reportId}`, { token })).status).toBe(404);
    expect((await vtn('GET', `/vens/${venId}`, { token })).status).toBe(404);
    expect((await vtn('GET', '/vens', { token })).body.map((v: { id: string }) => v.id)).toEqual([other!.venID]);
    expect((await vtn('GET', '/vens', { token: platform.adminKey })).body).toHaveLength(2);
    // It may not report on an event it cannot read, nor grant itself targets.
    const stray = { eventID: event.id, clientName: 'heat-pump-2', resources: [{ resourceName: 'pump', intervals: [] }] };
    expect((await vtn('POST', '/reports', { token, json: stray })).body).toMatchObject({
      status: 400,
      detail: expect.stringMatching(/^eventID/),
    });
    const selfGrant = { objectType: 'BL_VEN_REQUEST', clientID: other!.clientID, venName: 'heat-pump-2', targets: ['tariff:home/dynamic'] };
    expect((await vtn('PUT', `/vens/${other!.venID}`, { token, json: selfGrant })).status).toBe(403);
    // It names its ven and its resources; the targets stay what business logic granted.
    const renamed = await vtn('PUT', `/vens/${other!.venID}`, {
      token,
      json: { objectType: 'VEN_VEN_REQUEST', venName: 'heat-pump-2', attributes: [{ type: 'LOCATION', values: ['loft'] }] },
    });
    expect(renamed.body).toMatchObject({ attributes: [{ type: 'LOCATION', values: ['loft'] }], targets: ['tariff:elsewhere/dynamic'] });
    const resource = { objectType: 'VEN_RESOURCE_REQUEST', resourceName: 'pump', venID: other!.venID };
    expect((await vtn('POST', '/resources', { token, json: resource })).body).toMatchObject({
      objectType: 'RESOURCE',
      clientID: other!.clientID,
      venID: other!.venID,
    });
    expect((await vtn('POST', '/resources', { token, json: resource })).status).toBe(409);
    expect((await vtn('POST', '/resources', { token, json: { ...resource, venID: venId } })).status).toBe(400);
    expect((await vtn('GET', '/resources', { token })).body).toHaveLength(1);

    // Before a grant: not its program, over REST or MQTT.
    expect((await vtn('GET', `/events/${event.id}`, { token })).status).toBe(404);
    const ven = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: other!.clientID,
      username: other!.clientID,
      password: token,
      reconnectPeriod: 0,
    });
    const topic = `openadr/3/programs/${programId}/events/create`;
    expect(await grantedOn(ven, topic)).toBe(128);
    // Business logic grants it the home tariff's target on its ven object.
    const granted = await vtn('PUT', `/vens/${other!.venID}`, {
      token: platform.adminKey,
      json: {
        objectType: 'BL_VEN_REQUEST',
        clientID: other!.clientID,
        venName: 'heat-pump-2',
        targets: ['tariff:elsewhere/dynamic', 'tariff:home/dynamic'],
      },
    });
    expect(granted.status).toBe(200);
    expect((await vtn('GET', `/events/${event.id}`, { token })).body).toEqual(event);
    expect((await vtn('GET', '/programs', { token })).body.map((p: { id: string }) => p.id)).toContain(programId);
    // The broker holding its connection re-reads its grant (the control log): the same connection may subscribe now.
    await expectEventually(async () => ((await grantedOn(ven, topic)) === 1 ? true : undefined), { what: 'the grant on MQTT' });
    await ven.endAsync();
    // Deleting its ven object takes the grant away again.
    expect((await vtn('DELETE', `/vens/${other!.venID}`, { token: platform.adminKey })).status).toBe(200);
    expect((await vtn('GET', `/events/${event.id}`, { token })).status).toBe(404);
    expect((await vtn('GET', '/resources', { token })).body).toEqual([]);
  });
});
