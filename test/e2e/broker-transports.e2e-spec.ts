import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Socket } from 'node:net';
import {
  expectEventually,
  freePort,
  rawConnect,
  restClient,
  startPlatformProcess,
  testCertificateAuthority,
  type PlatformProcess,
} from '@wattline/testing';

/**
 * The other ways in: MQTT over TLS with client certificates (CN = device id, signed by TLS_CA),
 * MQTT over WebSocket (/mqtt) for displays, and presence through a last will when a meter
 * drops off without a DISCONNECT. Embedded defaults; certificates made here with openssl.
 */
const METER = 'MAC000002';
const OTHER = 'MAC000003';

function makeCertificates(dir: string) {
  return testCertificateAuthority(dir)
    .sign('server', 'localhost', { server: true })
    .sign('meter', METER)
    .sign('stranger', 'not-a-meter')
    .selfSigned('forged', METER);
}

describe('TLS with client certificates, WebSocket and last wills', () => {
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  let platform: PlatformProcess;
  let tlsPort: number;
  let api: ReturnType<typeof restClient>;
  const passwords = new Map<string, string>();
  const clients: MqttClient[] = [];

  const tls = (options: mqtt.IClientOptions) =>
    mqtt
      .connectAsync(`mqtts://127.0.0.1:${tlsPort}`, { ca: certs.file('ca.crt'), reconnectPeriod: 0, connectTimeout: 5000, ...options })
      .then((client) => {
        clients.push(client);
        return client;
      });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'wattline-tls-'));
    chmodSync(dir, 0o755); // the embedded PostgreSQL runs as the "postgres" user when tests run as root
    certs = makeCertificates(dir);
    tlsPort = await freePort();
    platform = await startPlatformProcess({
      DATA_DIR: path.join(dir, 'data'),
      MQTT_TLS_PORT: String(tlsPort),
      TLS_CERT: certs.path('server.crt'),
      TLS_KEY: certs.path('server.key'),
      TLS_CA: certs.path('ca.crt'),
      ALLOW_ANONYMOUS_DISPLAYS: 'true',
      ALLOWED_LATENESS_SECONDS: '0',
      IDLE_CLOSE_SECONDS: '3600',
    });
    api = restClient(platform.httpUrl, platform.adminKey);
    await api.post('/v1/regions', { id: 'london', name: 'London' });
    for (const id of [METER, OTHER]) passwords.set(id, (await api.post('/v1/meters', { id, regionId: 'london' })).body.mqtt.password);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await platform?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a meter by its client certificate alone, and its readings count', async () => {
    const meter = await tls({ clientId: METER, cert: certs.file('meter.crt'), key: certs.file('meter.key') });
    await meter.publishAsync(
      `meters/${METER}/readings`,
      JSON.stringify({ ts: '2013-12-02T00:30:00Z', periodS: 1800, consumptionWh: 275 }),
      { qos: 1 },
    );
    const stored = await expectEventually(
      async () => {
        const page = (await api.get(`/v1/meters/${METER}/readings?from=2013-12-02T00:00:00Z&to=2013-12-03T00:00:00Z`)).body;
        return page.items?.length === 1 ? page.items[0] : undefined;
      },
      { what: 'the reading stored' },
    );
    expect(stored).toMatchObject({ consumptionWh: 275, ts: '2013-12-02T00:30:00.000Z' });
    await meter.endAsync();
  });

  it('refuses a certificate the CA did not sign, one for no provisioned device, and a CN used as another id', async () => {
    const code = (options: mqtt.IClientOptions) =>
      tls(options).then(
        () => 'accepted',
        (error: { code?: number }) => error.code,
      );
    expect(await code({ clientId: METER, cert: certs.file('forged.crt'), key: certs.file('forged.key') })).toBe(5);
    expect(await code({ clientId: 'not-a-meter', cert: certs.file('stranger.crt'), key: certs.file('stranger.key') })).toBe(5);
    expect(await code({ clientId: OTHER, cert: certs.file('meter.crt'), key: certs.file('meter.key') })).toBe(2);
    expect(
      await code({
        clientId: METER,
        username: OTHER,
        password: passwords.get(OTHER),
        cert: certs.file('meter.crt'),
        key: certs.file('meter.key'),
      }),
    ).toBe(4);
  });

  it('still takes a password over TLS from a device without a certificate', async () => {
    const meter = await tls({ clientId: OTHER, username: OTHER, password: passwords.get(OTHER) });
    expect(meter.connected).toBe(true);
    await meter.endAsync();
  });

  it('serves a display over MQTT over WebSocket, retained price first', async () => {
    const meter = await tls({ clientId: METER, cert: certs.file('meter.crt'), key: certs.file('meter.key') });
    await meter.publishAsync(
      `meters/${METER}/readings`,
      JSON.stringify({ ts: '2013-12-02T01:00:00Z', periodS: 1800, consumptionWh: 210 }),
      { qos: 1 },
    );
    const current = await expectEventually(
      async () => {
        const res = await api.get('/v1/regions/london/tariffs/current');
        // The reading moved the region's clock to 01:00: the price in force is the one from 01:00.
        return res.body.validFrom === '2013-12-02T01:00:00.000Z' ? res.body : undefined;
      },
      { what: 'the price in force from 01:00' },
    );
    const display = await mqtt.connectAsync(platform.wsUrl, { clientId: `display-${Date.now()}`, reconnectPeriod: 0 });
    clients.push(display);
    const received = new Promise<unknown>((resolve) =>
      display.on('message', (_t, payload, packet) => packet.retain && resolve(JSON.parse(payload.toString()))),
    );
    await display.subscribeAsync('prices/london/current', { qos: 1 });
    expect(await received).toEqual(current);
    await meter.endAsync();
  });

  it('marks a meter offline through its last will when it drops without DISCONNECT', async () => {
    const { body } = await api.post('/v1/service-credentials', { name: 'presence monitor', subscribe: ['meters/+/status'] });
    const monitor = await mqtt.connectAsync(platform.wsUrl, {
      clientId: body.mqtt.username,
      username: body.mqtt.username,
      password: body.mqtt.password,
      reconnectPeriod: 0,
    });
    clients.push(monitor);
    const states: string[] = [];
    monitor.on('message', (topic, payload) => topic === `meters/${OTHER}/status` && states.push(JSON.parse(payload.toString()).state));
    await monitor.subscribeAsync(`meters/${OTHER}/status`, { qos: 1 });
    const meter = await tls({
      clientId: OTHER,
      username: OTHER,
      password: passwords.get(OTHER),
      will: { topic: `meters/${OTHER}/status`, payload: Buffer.from(JSON.stringify({ state: 'offline' })), qos: 1, retain: true },
    });
    await expectEventually(() => (states.at(-1) === 'online' ? true : undefined), { what: 'online' });
    expect((await api.get(`/v1/meters/${OTHER}`)).body.online).toBe(true);
    meter.stream.destroy(); // the radio link drops: no DISCONNECT, so the will fires
    await expectEventually(() => (states.at(-1) === 'offline' ? true : undefined), { what: 'offline' });
    await expectEventually(async () => ((await api.get(`/v1/meters/${OTHER}`)).body.online === false ? true : undefined), {
      what: 'offline in the API',
    });
  });
});

describe('broker limits and keep-alive', () => {
  let dir: string;
  let platform: PlatformProcess;
  let api: ReturnType<typeof restClient>;
  const passwords = new Map<string, string>();
  const held: Socket[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'wattline-limits-'));
    chmodSync(dir, 0o755);
    platform = await startPlatformProcess({ DATA_DIR: path.join(dir, 'data'), MQTT_MAX_CONNECTIONS: '3', MQTT_MAX_PUBLISH_RATE: '5' });
    api = restClient(platform.httpUrl, platform.adminKey);
    await api.post('/v1/regions', { id: 'london', name: 'London' });
    for (const id of [METER, OTHER]) passwords.set(id, (await api.post('/v1/meters', { id, regionId: 'london' })).body.mqtt.password);
  });

  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await platform?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const metric = async (name: string) =>
    Number(
      new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(await fetch(`${platform.httpUrl}/metrics`).then((r) => r.text()))?.[1] ?? 0,
    );

  it('slows a client that publishes faster than MQTT_MAX_PUBLISH_RATE down, and loses none of its readings', async () => {
    const meter = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: METER,
      username: METER,
      password: passwords.get(METER),
      reconnectPeriod: 0,
    });
    // 5/s with 10 s of burst (50 tokens): 60 publishes sent at once (not each after the last one's
    // PUBACK: slow acknowledgements under load would let the bucket refill and nothing would wait)
    // need 50 + 5·t ≥ 60 tokens, so they take at least 2 s, and the last ten waited.
    const start = Date.UTC(2013, 11, 2);
    const began = Date.now();
    try {
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          meter.publishAsync(`meters/${METER}/readings`, JSON.stringify({ ts: start + (i + 1) * 60_000, periodS: 60, consumptionWh: 5 }), {
            qos: 1,
          }),
        ),
      );
    } finally {
      await meter.endAsync();
    }
    expect(Date.now() - began).toBeGreaterThanOrEqual(1900);
    expect(await metric('wattline_mqtt_publish_throttled_total')).toBeGreaterThanOrEqual(1);
    const stored = await expectEventually(
      async () => {
        const page = (await api.get(`/v1/meters/${METER}/readings?from=2013-12-02T00:00:00Z&to=2013-12-03T00:00:00Z&limit=100`)).body;
        return page.items?.length === 60 ? page.items.length : undefined;
      },
      { what: '60 readings stored' },
    );
    expect(stored).toBe(60);
  });

  it('closes a silent connection after 1.5 × its keep-alive and reports the meter offline', async () => {
    const code = await rawConnect(
      platform.mqttUrl,
      { clientId: OTHER, clean: true, username: OTHER, password: passwords.get(OTHER), keepaliveSeconds: 1 },
      { hold: (socket) => held.push(socket) },
    );
    expect(code).toBe(0);
    await expectEventually(async () => ((await api.get(`/v1/meters/${OTHER}`)).body.online === true ? true : undefined), {
      what: 'online',
    });
    const closed = new Promise<void>((resolve) => held[0].once('close', () => resolve()));
    await closed; // [MQTT-3.1.2-24] no PINGREQ within one and a half keep-alive periods
    await expectEventually(async () => ((await api.get(`/v1/meters/${OTHER}`)).body.online === false ? true : undefined), {
      what: 'offline',
    });
  });

  it('refuses connections over MQTT_MAX_CONNECTIONS with CONNACK 3', async () => {
    const { body } = await api.post('/v1/service-credentials', { name: 'ops', subscribe: ['meters/+/status'] });
    const svc = body.mqtt.username as string;
    const connectHeld = (clientId: string, username: string, password: string) =>
      rawConnect(platform.mqttUrl, { clientId, clean: true, username, password }, { hold: (socket) => held.push(socket) });
    await expectEventually(async () => ((await metric('wattline_mqtt_connected_clients')) === 0 ? true : undefined), {
      what: 'no clients left',
    });
    expect(await connectHeld(METER, METER, passwords.get(METER)!)).toBe(0);
    expect(await connectHeld(OTHER, OTHER, passwords.get(OTHER)!)).toBe(0);
    expect(await connectHeld(`${svc}-1`, svc, body.mqtt.password)).toBe(0);
    expect(await connectHeld(`${svc}-2`, svc, body.mqtt.password)).toBe(3); // the fourth: server unavailable
    expect(await metric('wattline_mqtt_refusals_total')).toBeGreaterThanOrEqual(1);
  });
});
