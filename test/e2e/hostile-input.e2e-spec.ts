import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import mqttPacket from 'mqtt-packet';
import WebSocket from 'ws';
import { mulberry32 } from '@wattline/domain';
import {
  MeterFleet,
  createTestDatabase,
  expectEventually,
  freePort,
  regionTotals,
  restClient,
  startPlatformProcess,
  testServices,
  type PlatformProcess,
} from '@wattline/testing';

/**
 * A fuzzer over the three MQTT listeners (TCP, TLS, WebSocket): packets built with mqtt-packet
 * from random fields, then mutated (bytes flipped, frames cut short, lengths blown up), sent
 * raw, some after a valid CONNECT so they reach the hooks; with slow CONNECTs and a flood of
 * bad CONNECTs alongside. Meanwhile a real meter publishes real readings. The broker must stay
 * up with bounded memory, the meter must lose nothing, and every refusal must be counted.
 * FUZZ_PACKETS (default 400 a listener) and FUZZ_SEED make longer or repeatable runs.
 */
const GOOD = 'MAC000002';
const FUZZER = 'MAC000003';
const PACKETS = Number(process.env.FUZZ_PACKETS ?? 400);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);

/** mulberry32: a small seeded generator, so a failing run can be repeated with FUZZ_SEED. */
function rng(seed: number) {
  const next = mulberry32(seed);
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: T[]) => items[int(items.length)];
  return { next, int, pick };
}

function makePackets(
  random: ReturnType<typeof rng>,
  credentials: { username: string; password: string },
): { connectFirst: boolean; bytes: Buffer }[] {
  const text = (max: number) =>
    Array.from({ length: random.int(max) }, () =>
      String.fromCharCode(random.pick([random.int(128), 0x2f, 0x2b, 0x23, 0x24, 0, 0xfffd])),
    ).join('');
  const topic = () =>
    random.pick([
      `meters/${FUZZER}/readings`,
      `meters/${GOOD}/readings`,
      `meters/${FUZZER}/status`,
      'prices/london/current',
      '$SYS/broker/clients',
      '#',
      'meters/+/readings',
      'a/'.repeat(random.int(300)),
      'x'.repeat(random.int(70_000)),
      text(40),
    ]);
  const payload = () =>
    random.pick([
      Buffer.from(JSON.stringify({ ts: '2013-12-02T00:30:00Z', periodS: 1800, consumptionWh: random.int(1000) })),
      Buffer.from(`{"readings":[${'['.repeat(random.int(20_000))}`),
      Buffer.from('{"ts":' + '1'.repeat(random.int(400)) + '}'),
      Buffer.from(text(200)),
      Buffer.alloc(random.int(5000), random.int(256)),
    ]);
  const qos = () => random.pick([0, 1, 2]) as 0 | 1 | 2;
  const builders: (() => object)[] = [
    () => ({
      cmd: 'connect',
      protocolId: random.pick(['MQTT', 'MQIsdp', 'XXXX']),
      protocolVersion: random.pick([3, 4, 5, 9]),
      clientId: random.pick([FUZZER, GOOD, '', text(30), 'c'.repeat(random.int(70_000))]),
      clean: random.next() < 0.5,
      keepalive: random.int(65536),
      username: random.pick([undefined, FUZZER, GOOD, text(20)]),
      password: random.pick([undefined, Buffer.from(credentials.password), Buffer.from(text(20))]),
      will: random.next() < 0.3 ? { topic: topic(), payload: payload(), qos: qos(), retain: random.next() < 0.5 } : undefined,
    }),
    () => ({
      cmd: 'publish',
      topic: topic(),
      payload: payload(),
      qos: qos(),
      retain: random.next() < 0.3,
      dup: random.next() < 0.1,
      messageId: 1 + random.int(65535),
    }),
    () => ({
      cmd: 'subscribe',
      messageId: 1 + random.int(65535),
      subscriptions: Array.from({ length: 1 + random.int(5) }, () => ({ topic: topic(), qos: qos() })),
    }),
    () => ({ cmd: 'unsubscribe', messageId: 1 + random.int(65535), unsubscriptions: [topic()] }),
    () => ({ cmd: random.pick(['puback', 'pubrec', 'pubrel', 'pubcomp']), messageId: random.int(65536) }),
    () => ({ cmd: random.pick(['pingreq', 'disconnect', 'pingresp', 'connack', 'suback']), returnCode: 0, granted: [0], messageId: 1 }),
  ];
  const packets: { connectFirst: boolean; bytes: Buffer }[] = [];
  for (let i = 0; i < PACKETS; i++) {
    let bytes: Buffer;
    try {
      bytes = mqttPacket.generate(random.pick(builders)() as mqttPacket.Packet);
    } catch {
      bytes = Buffer.from(Array.from({ length: 1 + random.int(64) }, () => random.int(256)));
    }
    switch (random.int(5)) {
      case 0: // bytes flipped
        bytes = Buffer.from(bytes);
        for (let f = 0; f < 1 + random.int(3); f++) bytes[random.int(bytes.length)] = random.int(256);
        break;
      case 1: // cut short
        bytes = bytes.subarray(0, random.int(bytes.length));
        break;
      case 2: // a length far beyond the packet size limit
        bytes = Buffer.concat([Buffer.from([bytes[0] ?? 0x30, 0xff, 0xff, 0xff, 0x7f]), bytes.subarray(2, 40)]);
        break;
      default: // as generated
    }
    packets.push({ connectFirst: random.next() < 0.5, bytes });
  }
  return packets;
}

describe('hostile input on every MQTT listener', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;
  let dir: string;
  let tlsPort: number;
  let fleet: MeterFleet;
  const passwords = new Map<string, string>();

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'wattline-fuzz-'));
    writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'server.key',
        '-out',
        'server.crt',
        '-subj',
        '/CN=127.0.0.1',
        '-days',
        '2',
      ],
      { cwd: dir, stdio: 'pipe' },
    );
    db = await createTestDatabase({ empty: true });
    tlsPort = await freePort();
    platform = await startPlatformProcess({
      KAFKA_BROKERS: testServices().kafkaBrokers,
      KAFKA_TOPIC_PREFIX: `fuzz${Date.now().toString(36)}.`,
      DATABASE_URL: db.url,
      MQTT_TLS_PORT: String(tlsPort),
      TLS_CERT: path.join(dir, 'server.crt'),
      TLS_KEY: path.join(dir, 'server.key'),
      ALLOW_ANONYMOUS_DISPLAYS: 'true',
      MQTT_MAX_PACKET_BYTES: '65536',
      MQTT_MAX_PUBLISH_RATE: '10000',
      ALLOWED_LATENESS_SECONDS: '86400',
      IDLE_CLOSE_SECONDS: '3600',
    });
    const api = restClient(platform.httpUrl, platform.adminKey);
    await api.post('/v1/regions', { id: 'london', name: 'London' });
    for (const id of [GOOD, FUZZER]) passwords.set(id, (await api.post('/v1/meters', { id, regionId: 'london' })).body.mqtt.password);
  });

  afterAll(async () => {
    await fleet?.close();
    await platform?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`keeps the broker up, its memory bounded and a real meter whole (seed ${SEED})`, async () => {
    process.stderr.write(`hostile input: seed ${SEED}, ${PACKETS} packets a listener (FUZZ_SEED=${SEED} repeats this run)\n`);
    const metrics = () => fetch(`${platform.httpUrl}/metrics`).then((r) => r.text());
    const rss = async () => Number(/^wattline_process_resident_memory_bytes (\d+)/m.exec(await metrics())![1]);
    const rssBefore = await rss();
    fleet = await MeterFleet.connect(() => platform.mqttUrl, [{ id: GOOD, password: passwords.get(GOOD)! }]);
    fleet.start(5);

    const random = rng(SEED);
    const connect = mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: FUZZER,
      clean: true,
      keepalive: 30,
      username: FUZZER,
      password: Buffer.from(passwords.get(FUZZER)!),
    });
    type Wire = { write(bytes: Buffer): void; close(): void; closed: Promise<void> };
    const transports: Record<string, () => Promise<Wire>> = {
      tcp: () =>
        new Promise((resolve) => {
          const socket = net.connect(platform.ports.mqtt, '127.0.0.1');
          const closed = new Promise<void>((done) => socket.once('close', () => done()));
          socket.on('error', () => undefined);
          socket.once('connect', () => resolve({ write: (b) => socket.write(b), close: () => socket.destroy(), closed }));
          socket.once('error', () => resolve({ write: () => undefined, close: () => undefined, closed }));
        }),
      tls: () =>
        new Promise((resolve) => {
          const socket = tls.connect({ port: tlsPort, host: '127.0.0.1', rejectUnauthorized: false });
          const closed = new Promise<void>((done) => socket.once('close', () => done()));
          socket.on('error', () => undefined);
          socket.once('secureConnect', () => resolve({ write: (b) => socket.write(b), close: () => socket.destroy(), closed }));
          socket.once('error', () => resolve({ write: () => undefined, close: () => undefined, closed }));
        }),
      ws: () =>
        new Promise((resolve) => {
          const ws = new WebSocket(platform.wsUrl, 'mqtt');
          const closed = new Promise<void>((done) => ws.once('close', () => done()));
          ws.on('error', () => undefined);
          ws.once('open', () =>
            resolve({ write: (b) => ws.readyState === WebSocket.OPEN && ws.send(b), close: () => ws.terminate(), closed }),
          );
          ws.once('error', () => resolve({ write: () => undefined, close: () => undefined, closed }));
        }),
    };
    const sent: Record<string, number> = {};
    for (const [name, open] of Object.entries(transports)) {
      const packets = makePackets(random, { username: FUZZER, password: passwords.get(FUZZER)! });
      sent[name] = packets.length;
      for (let i = 0; i < packets.length; i += 20) {
        await Promise.all(
          packets.slice(i, i + 20).map(async ({ connectFirst, bytes }) => {
            const wire = await open();
            if (connectFirst) wire.write(connect);
            wire.write(bytes);
            await Promise.race([wire.closed, new Promise((resolve) => setTimeout(resolve, 30))]);
            wire.close();
          }),
        );
      }
    }

    // Slow CONNECTs (one byte, then silence) and a flood of wrong passwords, at once.
    const slow = await Promise.all(Array.from({ length: 100 }, () => transports.tcp()));
    for (const wire of slow) wire.write(Buffer.from([0x10]));
    const flood = mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: FUZZER,
      clean: true,
      keepalive: 30,
      username: FUZZER,
      password: Buffer.from('wrong'),
    });
    await Promise.all(
      Array.from({ length: 300 }, async () => {
        const wire = await transports.tcp();
        wire.write(flood);
        await Promise.race([wire.closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
        wire.close();
      }),
    );
    const ackedDuring = fleet.totals.acked;
    for (const wire of slow) wire.close();

    // The broker is up and healthy, the real meter kept publishing and lost nothing.
    expect(platform.child.exitCode).toBeNull();
    expect((await fetch(`${platform.httpUrl}/health`)).status).toBe(200);
    await fleet.settle();
    const { sent: published, acked } = fleet.totals;
    expect(ackedDuring).toBeGreaterThan(0);
    expect(acked).toBe(published);
    const api = restClient(platform.httpUrl, platform.adminKey);
    const readings = await expectEventually(
      async () => {
        const page = (await api.get(`/v1/meters/${GOOD}/readings?from=2013-12-01T00:00:00Z&to=2014-01-01T00:00:00Z&limit=10000`)).body
          .items;
        return page.length >= published ? page : undefined;
      },
      { what: `${published} readings of the real meter` },
    );
    expect(readings).toHaveLength(published);
    expect((await regionTotals(api, 'london', 'from=2013-12-01T00:00:00Z&to=2014-01-01T00:00:00Z')).readings).toBeGreaterThanOrEqual(
      published,
    );

    // Memory came back within bounds; every refusal was counted.
    const text = await metrics();
    const rssAfter = await rss();
    const refusals = [...text.matchAll(/^wattline_mqtt_refusals_total\{operation="(\w+)",reason="([^"]+)"\} (\d+)/gm)].map(
      (m) => `${m[1]}/${m[2]}=${m[3]}`,
    );
    process.stderr.write(
      `hostile input: ${JSON.stringify(sent)} packets, RSS ${(rssBefore / 2 ** 20).toFixed(0)} → ${(rssAfter / 2 ** 20).toFixed(0)} MiB, refusals ${refusals.join(', ')}\n`,
    );
    expect(rssAfter - rssBefore).toBeLessThan(200 * 2 ** 20);
    // The flood of simultaneous wrong passwords was held by the throttle, not checked one by one.
    expect(refusals.some((r) => r.startsWith('connect/throttled after repeated failures'))).toBe(true);
    expect(refusals.some((r) => r.startsWith('packet/too large'))).toBe(true);
  });
});
