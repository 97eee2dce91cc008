import { isDeepStrictEqual } from 'node:util';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { readLondonHouseholds, slotToReading, type HouseholdSlot } from '@wattline/datasets';
import {
  createTestDatabase,
  expectEventually,
  rawConnect,
  restClient,
  startPlatformProcess,
  startRedis,
  startRedisCluster,
  testServices,
  type PlatformProcess,
} from '@wattline/testing';

/**
 * Two broker instances behind one imaginary load balancer, sharing Redis (sessions,
 * subscriptions, queued and retained messages, pub/sub, credential cache, throttling,
 * presence), Kafka and PostgreSQL. Instance A is the all-in-one process (broker, aggregator,
 * API); instance B is the broker app alone. Real mqtt.js clients, real sockets. The same cases
 * run on a single Redis and on a Redis Cluster (3 primaries, 3 replicas, `redis-cluster://`);
 * Redis's failure differs: the single one is killed and comes back empty, the cluster loses the
 * primary holding M1's session and its replica takes over.
 */
const HOMES = ['MAC000002', 'MAC000003', 'MAC000004', 'MAC000006', 'MAC000007', 'MAC000008', 'MAC000009'];
const [M1, M2, M3, M4, M5, M6, M7] = HOMES;

interface SharedRedis {
  url: string;
  /** Redis fails under both brokers, as this target can. */
  fail(): Promise<void>;
  /** After the failure case: the failed node back (a cluster's killed primary rejoins as a replica), so the later cases start whole. */
  heal(): Promise<void>;
  stop(): Promise<void>;
}

const TARGETS: [string, () => Promise<SharedRedis>][] = [
  [
    'a single Redis (killed, back empty)',
    async () => {
      const redis = await startRedis();
      return {
        url: redis.url,
        fail: async () => (await redis.kill(), await redis.restart()),
        heal: async () => undefined,
        stop: () => redis.stop(),
      };
    },
  ],
  [
    'a Redis Cluster (the primary of the sessions killed)',
    async () => {
      const cluster = await startRedisCluster();
      let killed: Awaited<ReturnType<typeof cluster.primaryOf>> | null = null;
      return {
        url: `redis-cluster://${cluster.seeds.map((s) => `${s.host}:${s.port}`).join(',')}`,
        fail: async () => {
          killed = await cluster.primaryOf(`aedes:sub:{${M1}}`);
          await killed.kill();
        },
        heal: async () => {
          await killed?.restart();
          await cluster.healthy();
        },
        stop: () => cluster.stop(),
      };
    },
  ],
];

describe.each(TARGETS)('broker scale-out over %s', (_target, startShared) => {
  let redis: SharedRedis;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: PlatformProcess;
  let b: PlatformProcess;
  let env: Record<string, string>;
  let api: ReturnType<typeof restClient>;
  const passwords = new Map<string, string>();
  const clients: MqttClient[] = [];
  let service: { username: string; password: string };
  let slots: HouseholdSlot[];
  let nextSlot = 0;

  const startB = () => startPlatformProcess({ ...env, LOG_LEVEL: 'log' }, { app: 'broker', readyLine: /MQTT on/ });
  const connect = async (url: string, options: IClientOptions) => {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    clients.push(client);
    return client;
  };
  /** The CONNACK of a client connected with mqtt.connect: refused or closed is an error that says why, never a wait without end. */
  const connackOf = (client: MqttClient) =>
    new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', (error) => reject(new Error(`refused: ${error.message}`)));
      client.once('close', () => reject(new Error('closed before CONNACK')));
    });
  const meter = (url: string, id: string, options: IClientOptions = {}) =>
    connect(url, { clientId: id, username: id, password: passwords.get(id), ...options });
  const refusal = (url: string, options: IClientOptions) =>
    mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options }).then(
      (client) => {
        clients.push(client);
        return 'accepted';
      },
      (error: { code?: number }) => error.code,
    );
  /** Publishes M1's next real half hour: the region's clock moves to its end, and the price in force to the interval starting there. */
  const publishNextSlot = async (client: MqttClient) => {
    const slot = slots[nextSlot++];
    await client.publishAsync(`meters/${M1}/readings`, JSON.stringify(slotToReading(slot)), { qos: 1 });
    return slot;
  };
  const currentPrice = async () => (await api.get('/v1/regions/london/tariffs/current')).body;
  const statuses = (client: MqttClient) => {
    const seen: { meterId: string; state: string; retain: boolean }[] = [];
    client.on('message', (topic, payload, packet) => {
      const match = /^meters\/([^/]+)\/status$/.exec(topic);
      if (match) seen.push({ meterId: match[1], state: JSON.parse(payload.toString()).state, retain: packet.retain });
    });
    return seen;
  };

  beforeAll(async () => {
    slots = [];
    for await (const slot of readLondonHouseholds({ households: (id) => id === M1 })) slots.push(slot);
    redis = await startShared();
    db = await createTestDatabase({ empty: true });
    env = {
      KAFKA_BROKERS: testServices().kafkaBrokers,
      KAFKA_TOPIC_PREFIX: `scale${Date.now().toString(36)}.`,
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      INTERVAL_SECONDS: '1800',
      ALLOWED_LATENESS_SECONDS: '0',
      IDLE_CLOSE_SECONDS: '3600',
      ALLOW_ANONYMOUS_DISPLAYS: 'true',
      AUTH_MAX_FAILURES: '3',
      MQTT_MAX_PACKET_BYTES: '4096',
    };
    a = await startPlatformProcess(env);
    b = await startB();
    api = restClient(a.httpUrl, a.adminKey);
    await api.post('/v1/regions', { id: 'london', name: 'London' });
    for (const id of HOMES) passwords.set(id, (await api.post('/v1/meters', { id, regionId: 'london' })).body.mqtt.password);
    const issued = await api.post('/v1/service-credentials', { name: 'operations', subscribe: ['meters/+/status', 'prices/#'] });
    expect(issued.status).toBe(201);
    service = issued.body.mqtt;
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await b?.stop();
    await a?.stop();
    await db?.drop();
    await redis?.stop();
  });

  it('delivers on B what was retained through A: presence and prices', async () => {
    const m1 = await meter(a.mqttUrl, M1);
    for (let i = 0; i < 3; i++) await publishNextSlot(m1);
    const priced = await expectEventually(
      async () => {
        const price = await currentPrice();
        return price.validFrom === new Date(slots[2].slotStart + 1_800_000).toISOString() ? price : undefined;
      },
      { what: 'the price in force after the third half hour' },
    );

    const ops = await connect(b.mqttUrl, { clientId: `${service.username}-1`, username: service.username, password: service.password });
    const seen = statuses(ops);
    const prices: Record<string, unknown>[] = [];
    ops.on(
      'message',
      (topic, payload, packet) => topic === 'prices/london/current' && packet.retain && prices.push(JSON.parse(payload.toString())),
    );
    await ops.subscribeAsync(['meters/+/status', 'prices/london/current'], { qos: 1 });
    await expectEventually(
      () => (seen.some((s) => s.meterId === M1 && s.state === 'online' && s.retain) && prices.length > 0 ? true : undefined),
      { what: 'retained status and price on B' },
    );
    // REST reads the announcement at its commit; the broker has it once the outbox has drained it through Kafka. Each
    // SUBSCRIBE is answered with what B retains now [MQTT-3.3.1-6], so subscribe again until it is that price.
    await expectEventually(
      async () => {
        if (isDeepStrictEqual(prices.at(-1), priced)) return true;
        const before = prices.length;
        await ops.unsubscribeAsync('prices/london/current');
        await ops.subscribeAsync('prices/london/current', { qos: 1 });
        await expectEventually(() => (prices.length > before ? true : undefined), { what: 'the retained price again', timeoutMs: 5000 });
        return undefined;
      },
      { what: 'the price in force retained on B', intervalMs: 200 },
    );
    expect(prices.at(-1)).toEqual(priced);
  });

  it('has valid retained prices for a new display seconds after Redis fails under both brokers (a single Redis back empty: published again from PostgreSQL; a cluster: its replica)', async () => {
    const priced = await currentPrice();
    expect(priced.validFrom).toEqual(expect.any(String));
    // A crash: a single Redis killed and started again on the same port with nothing in it; a cluster's primary killed.
    await redis.fail();
    const restartedAt = Date.now();
    /** What a display connecting now is answered on SUBSCRIBE (retained [MQTT-3.3.1-6]); undefined if nothing within a second. */
    const retainedFor = async (url: string) => {
      // mqtt.js' connectAsync waits without end for a CONNACK that does not come (reconnectPeriod 0): bounded here.
      const connecting = mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 3000 });
      const display = await Promise.race([
        connecting.catch(() => null),
        new Promise<null>((resolve) => setTimeout(() => resolve(null), 5000)),
      ]);
      if (!display)
        void connecting.then(
          (late) => late.end(true),
          () => undefined,
        );
      if (!display) return undefined;
      try {
        return await new Promise<Record<string, unknown> | undefined>((resolve) => {
          const timer = setTimeout(() => resolve(undefined), 1000);
          display.on('message', (_topic, payload, packet) => {
            if (!packet.retain) return;
            clearTimeout(timer);
            resolve(JSON.parse(payload.toString()));
          });
          display.subscribeAsync('prices/london/current', { qos: 1 }).catch(() => resolve(undefined));
        });
      } finally {
        await display.endAsync(true).catch(() => undefined);
      }
    };
    for (const [name, url] of [
      ['A', a.mqttUrl],
      ['B', b.mqttUrl],
    ]) {
      const price = await expectEventually(() => retainedFor(url), {
        what: `a retained price on ${name} after Redis failed`,
        timeoutMs: 30_000,
      });
      expect(price).toEqual(priced);
      console.log(`${_target}: a new display on ${name} had the price in force ${Date.now() - restartedAt} ms after the failure`);
    }
    // And the devices' presence, as the database last recorded it: M1 is still connected to A.
    const ops = await connect(b.mqttUrl, {
      clientId: `${service.username}-restored`,
      username: service.username,
      password: service.password,
    });
    const seen = statuses(ops);
    await ops.subscribeAsync(`meters/${M1}/status`, { qos: 1 });
    await expectEventually(() => (seen.some((s) => s.meterId === M1 && s.state === 'online' && s.retain) ? true : undefined), {
      what: `M1's status retained again`,
    });
    await redis.heal();
  });

  it('moves a persistent session from A to B with what was queued while the meter was away', async () => {
    const m2 = await meter(a.mqttUrl, M2, { clean: false });
    await m2.subscribeAsync('prices/london/current', { qos: 1 });
    await m2.endAsync();
    const m1 = await meter(a.mqttUrl, M1);
    await publishNextSlot(m1); // moves the price in force to another interval while M2 is offline
    const queuedInterval = new Date(slots[nextSlot - 1].slotStart + 1_800_000).toISOString();
    await expectEventually(async () => ((await currentPrice()).intervalStart === queuedInterval ? true : undefined), {
      what: 'a new price',
    });

    const received: { intervalStart: string; retain: boolean }[] = [];
    const back = mqtt.connect(b.mqttUrl, { clientId: M2, username: M2, password: passwords.get(M2), clean: false, reconnectPeriod: 0 });
    clients.push(back);
    back.on('message', (_t, payload, packet) =>
      received.push({ intervalStart: JSON.parse(payload.toString()).intervalStart, retain: packet.retain }),
    );
    const connack = await connackOf(back);
    expect(connack.sessionPresent).toBe(true);
    await expectEventually(() => (received.some((r) => r.intervalStart === queuedInterval) ? true : undefined), {
      what: 'the queued price on B',
    });
    expect(received.find((r) => r.intervalStart === queuedInterval)!.retain).toBe(false); // queued for the session, not a retained replay
    await back.endAsync();
  });

  it('keeps persistent sessions through a broker instance being killed and restarted', async () => {
    expect(await b.kill('SIGKILL')).toBeNull();
    b = await startB();
    const again = mqtt.connect(b.mqttUrl, { clientId: M2, username: M2, password: passwords.get(M2), clean: false, reconnectPeriod: 0 });
    clients.push(again);
    const connack = await connackOf(again);
    expect(connack.sessionPresent).toBe(true);
    await again.endAsync();
  });

  it('keeps a meter online when it moves to another instance (the old connection does not say offline)', async () => {
    const ops = await connect(a.mqttUrl, { clientId: `${service.username}-2`, username: service.username, password: service.password });
    const seen = statuses(ops);
    await ops.subscribeAsync('meters/+/status', { qos: 1 });
    const first = await meter(a.mqttUrl, M3);
    const oldClosed = new Promise<void>((resolve) => first.once('close', () => resolve()));
    await meter(b.mqttUrl, M3); // same client id on the other instance: aedes hands the session over
    await oldClosed;
    await meter(a.mqttUrl, M4); // a later event through A: by the time it arrives, A has handled M3's old connection
    await expectEventually(() => (seen.some((s) => s.meterId === M4 && s.state === 'online') ? true : undefined), { what: 'M4 online' });
    expect(
      seen
        .filter((s) => s.meterId === M3)
        .map((s) => s.state)
        .at(-1),
    ).toBe('online');
    expect((await api.get(`/v1/meters/${M3}`)).body.online).toBe(true);
  });

  it('cuts a revoked meter off on both instances and refuses it everywhere after', async () => {
    const onA = await meter(a.mqttUrl, M5);
    const onB = await meter(b.mqttUrl, M6);
    const closedA = new Promise<number>((resolve) => onA.once('close', () => resolve(Date.now())));
    const closedB = new Promise<number>((resolve) => onB.once('close', () => resolve(Date.now())));
    const revokedAt = Date.now();
    expect((await api.post(`/v1/meters/${M5}/revoke`, {})).status).toBe(200);
    expect((await api.post(`/v1/meters/${M6}/revoke`, {})).status).toBe(200);
    const [atA, atB] = await Promise.all([closedA, closedB]);
    process.stdout.write(`revocation: connection closed on A after ${atA - revokedAt} ms, on B after ${atB - revokedAt} ms\n`);
    for (const url of [a.mqttUrl, b.mqttUrl]) {
      for (const id of [M5, M6])
        expect([url, id, await refusal(url, { clientId: id, username: id, password: passwords.get(id) })]).toEqual([url, id, 4]);
    }
    expect((await api.post(`/v1/meters/${M5}/revoke`, {})).status).toBe(409);
  });

  it('throttles the guesser across instances, not the device with the right password', async () => {
    for (let i = 0; i < 3; i++) expect(await refusal(a.mqttUrl, { clientId: M7, username: M7, password: 'wrong' })).toBe(4);
    // Blocked on both instances: one probe per 5 s; the first spends it, the next is refused unchecked.
    expect(await refusal(b.mqttUrl, { clientId: M7, username: M7, password: 'wrong-again' })).toBe(4);
    expect(await refusal(a.mqttUrl, { clientId: M7, username: M7, password: 'and-again' })).toBe(5);
    // The meter itself, with its secret, after a probe interval: in (and then cached, so at once after that).
    await new Promise((resolve) => setTimeout(resolve, 5100));
    expect(await refusal(b.mqttUrl, { clientId: M7, username: M7, password: passwords.get(M7) })).toBe('accepted');
    expect(await refusal(a.mqttUrl, { clientId: M7, username: M7, password: 'wrong' })).toBe(5);
    expect(await refusal(a.mqttUrl, { clientId: M7, username: M7, password: passwords.get(M7) })).toBe('accepted');
    const metrics = await fetch(`${a.httpUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/wattline_mqtt_refusals_total\{operation="connect",reason="throttled after repeated failures"\} 2/);
  });

  it('enforces the ACL on B as on A', async () => {
    const m1 = await meter(b.mqttUrl, M1);
    await expect(m1.subscribeAsync(`households/${M2}/summary`, { qos: 1 })).rejects.toMatchObject({ packet: { granted: [128] } });
    expect((await m1.subscribeAsync(`households/${M1}/summary`, { qos: 1 })).map((g) => g.qos)).toEqual([1]);
    const closed = new Promise<void>((resolve) => m1.once('close', () => resolve()));
    m1.publish(`meters/${M2}/readings`, JSON.stringify({ ts: Date.UTC(2013, 11, 2, 0, 30), periodS: 1800, consumptionWh: 1 }), { qos: 1 });
    await closed;
    const ops = await connect(b.mqttUrl, { clientId: `${service.username}-3`, username: service.username, password: service.password });
    await expect(ops.subscribeAsync(`meters/${M1}/readings`, { qos: 1 })).rejects.toMatchObject({ packet: { granted: [128] } });
    expect(await refusal(b.mqttUrl, { clientId: M1, username: service.username, password: service.password })).toBe(2); // not its client id
  });

  it('refuses an empty client id without a clean session with CONNACK 2 [MQTT-3.1.3-8]', async () => {
    expect(await rawConnect(b.mqttUrl, { clientId: '', clean: false })).toBe(2);
    expect(await rawConnect(b.mqttUrl, { clientId: '', clean: true })).toBe(0); // an anonymous display may
    expect(await rawConnect(a.mqttUrl, { clientId: '', clean: false, username: M1, password: passwords.get(M1) })).toBe(2);
  });

  it('closes a connection that announces a packet over MQTT_MAX_PACKET_BYTES', async () => {
    const m1 = await meter(a.mqttUrl, M1);
    const closed = new Promise<void>((resolve) => m1.once('close', () => resolve()));
    m1.publish(`meters/${M1}/readings`, Buffer.alloc(10_000, 0x20), { qos: 1 });
    await closed;
    const metrics = await fetch(`${a.httpUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/wattline_mqtt_refusals_total\{operation="packet",reason="too large"\} 1/);
  });
});
