import net from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import {
  createTestDatabase,
  expectEventually,
  rawConnect,
  restClient,
  startPlatformProcess,
  testServices,
  type PlatformProcess,
} from '@wattline/testing';

/**
 * MQTT 3.1.1 conformance apart from the ACL, through a service credential an admin granted
 * publish and subscribe filters on a free topic tree (`conformance/#`). The Eclipse Paho
 * interoperability suite cannot reach this machine; these cases are written from the
 * specification, each citing its rule.
 */
describe('MQTT 3.1.1 conformance on free topics', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;
  let service: { username: string; password: string };
  const clients: MqttClient[] = [];
  let n = 0;

  const connect = async (options: IClientOptions = {}) => {
    const client = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: `${service.username}-${n++}`,
      username: service.username,
      password: service.password,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...options,
    });
    clients.push(client);
    return client;
  };
  const collect = (client: MqttClient) => {
    const seen: { topic: string; payload: string; qos: number; retain: boolean; dup: boolean }[] = [];
    client.on('message', (topic, payload, packet) =>
      seen.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain, dup: packet.dup }),
    );
    return seen;
  };
  /** A raw MQTT 3.1.1 session (mqtt-packet), for what a client library will not do: withhold a PUBACK, go silent. */
  const raw = async (connect: Partial<mqttPacket.IConnectPacket>) => {
    const socket = net.connect(platform.ports.mqtt, '127.0.0.1');
    const parser = mqttPacket.parser();
    const packets: mqttPacket.Packet[] = [];
    parser.on('packet', (packet) => packets.push(packet));
    socket.on('data', (chunk) => parser.parse(chunk));
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepalive: 30,
        username: service.username,
        password: Buffer.from(service.password),
        clientId: `${service.username}-${n++}`,
        ...connect,
      } as mqttPacket.IConnectPacket),
    );
    await expectEventually(() => packets.find((p) => p.cmd === 'connack'), { what: 'CONNACK' });
    return { socket, packets, closed, send: (packet: object) => socket.write(mqttPacket.generate(packet as mqttPacket.Packet)) };
  };

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    platform = await startPlatformProcess({
      KAFKA_BROKERS: testServices().kafkaBrokers,
      KAFKA_TOPIC_PREFIX: `conf${Date.now().toString(36)}.`,
      DATABASE_URL: db.url,
    });
    const api = restClient(platform.httpUrl, platform.adminKey);
    const refused = await api.post('/v1/service-credentials', { name: 'too wide', subscribe: ['conformance/#'], publish: ['#'] });
    expect([refused.status, refused.body.errors?.[0]?.field]).toEqual([400, 'publish.0']);
    const issued = await api.post('/v1/service-credentials', {
      name: 'conformance',
      subscribe: ['conformance/#'],
      publish: ['conformance/#'],
    });
    expect(issued.body.publish).toEqual(['conformance/#']);
    service = issued.body.mqtt;
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await platform?.stop();
    await db?.drop();
  });

  it('keeps a retained message for later subscribers (RETAIN 1) and clears it with an empty one [MQTT-3.3.1-5, -10, -11]', async () => {
    const publisher = await connect();
    await publisher.publishAsync('conformance/retained', 'kept', { qos: 1, retain: true });
    const late = await connect();
    const seen = collect(late);
    await late.subscribeAsync('conformance/retained', { qos: 1 });
    await expectEventually(() => (seen.length > 0 ? true : undefined), { what: 'the retained message' });
    expect(seen).toEqual([{ topic: 'conformance/retained', payload: 'kept', qos: 1, retain: true, dup: false }]);
    await publisher.publishAsync('conformance/retained', '', { qos: 1, retain: true });
    const later = await connect();
    const none = collect(later);
    await later.subscribeAsync('conformance/retained', { qos: 1 });
    // A retained marker, subscribed to after: the broker hands retained messages out in subscription order, so once the
    // marker is in, a retained message on the cleared topic would have been too.
    await publisher.publishAsync('conformance/retained-marker', 'after', { qos: 1, retain: true });
    await later.subscribeAsync('conformance/retained-marker', { qos: 1 });
    await expectEventually(() => none.find((m) => m.topic === 'conformance/retained-marker'), { what: 'the retained marker' });
    expect(none.filter((m) => m.topic === 'conformance/retained')).toEqual([]);
    await publisher.publishAsync('conformance/retained-marker', '', { qos: 1, retain: true });
  });

  it('publishes the will when the socket drops, and when keep-alive runs out after 1.5 × keep-alive [MQTT-3.1.2-8, MQTT-3.1.2-24]', async () => {
    const watcher = await connect();
    const seen = collect(watcher);
    await watcher.subscribeAsync('conformance/will/#', { qos: 1 });
    const dropped = await raw({ will: { topic: 'conformance/will/dropped', payload: Buffer.from('gone'), qos: 1, retain: false } });
    dropped.socket.destroy();
    await expectEventually(() => seen.find((m) => m.topic === 'conformance/will/dropped'), { what: 'the will of a dropped socket' });
    const silent = await raw({
      keepalive: 1,
      will: { topic: 'conformance/will/silent', payload: Buffer.from('timed out'), qos: 1, retain: false },
    });
    const started = Date.now();
    await silent.closed;
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(1000);
    expect(waited).toBeLessThan(3000);
    await expectEventually(() => seen.find((m) => m.topic === 'conformance/will/silent' && m.payload === 'timed out'), {
      what: 'the will after keep-alive',
    });
    // A clean DISCONNECT discards the will [MQTT-3.1.2-10].
    const polite = await raw({ will: { topic: 'conformance/will/polite', payload: Buffer.from('never'), qos: 1, retain: false } });
    polite.send({ cmd: 'disconnect' });
    await polite.closed;
    // A marker published after the close: a will the close had set off would have been delivered before it.
    const marker = await connect();
    await marker.publishAsync('conformance/will/marker', 'after the close', { qos: 1 });
    await expectEventually(() => seen.find((m) => m.topic === 'conformance/will/marker'), {
      what: 'the marker after the clean disconnect',
    });
    expect(seen.filter((m) => m.topic === 'conformance/will/polite')).toEqual([]);
  });

  it('queues QoS 1 and 2 messages for an offline persistent session and delivers them on return [MQTT-3.1.2-5, MQTT-3.1.3-2]', async () => {
    const id = `${service.username}-persistent`;
    const subscriber = await connect({ clientId: id, clean: false });
    await subscriber.subscribeAsync('conformance/queued', { qos: 2 });
    await subscriber.endAsync();
    const publisher = await connect();
    await publisher.publishAsync('conformance/queued', 'one', { qos: 1 });
    await publisher.publishAsync('conformance/queued', 'two', { qos: 2 });
    await publisher.publishAsync('conformance/queued', 'zero', { qos: 0 });
    const back = mqtt.connect(platform.mqttUrl, {
      clientId: id,
      username: service.username,
      password: service.password,
      clean: false,
      reconnectPeriod: 0,
    });
    clients.push(back);
    const seen = collect(back);
    const connack = await new Promise<{ sessionPresent: boolean }>((resolve) => back.once('connect', (packet) => resolve(packet)));
    expect(connack.sessionPresent).toBe(true);
    await expectEventually(() => (seen.length >= 2 ? true : undefined), { what: 'the queued messages' });
    // Ordered per topic and QoS only [MQTT-4.6.0-6]; mqtt.js hands a QoS 2 message over at PUBREL.
    expect(
      seen
        .filter((m) => m.payload !== 'zero')
        .map((m) => [m.payload, m.qos, m.retain])
        .sort(),
    ).toEqual([
      ['one', 1, false],
      ['two', 2, false],
    ]);
  });

  it('sends an unacknowledged QoS 1 message again, with DUP, when the session resumes [MQTT-4.4.0-1]', async () => {
    const id = `${service.username}-redelivery`;
    const first = await raw({ clientId: id, clean: false });
    first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'conformance/redelivered', qos: 1 }] });
    await expectEventually(() => first.packets.find((p) => p.cmd === 'suback'), { what: 'SUBACK' });
    const publisher = await connect();
    await publisher.publishAsync('conformance/redelivered', 'ack me', { qos: 1 });
    const delivered = await expectEventually(() => first.packets.find((p): p is mqttPacket.IPublishPacket => p.cmd === 'publish'), {
      what: 'the delivery',
    });
    expect(delivered.dup).toBe(false);
    first.socket.destroy(); // no PUBACK
    await first.closed;
    const second = await raw({ clientId: id, clean: false });
    const again = await expectEventually(() => second.packets.find((p): p is mqttPacket.IPublishPacket => p.cmd === 'publish'), {
      what: 'the redelivery',
    });
    expect([again.payload.toString(), again.qos, again.dup, again.messageId]).toEqual(['ack me', 1, true, delivered.messageId]);
    second.send({ cmd: 'puback', messageId: again.messageId });
    second.send({ cmd: 'disconnect' });
  });

  it('delivers at the highest QoS of overlapping subscriptions, stops after UNSUBSCRIBE, and keeps $ topics out of wildcards [MQTT-3.3.5-1, MQTT-3.10.4-6, MQTT-4.7.2-1]', async () => {
    const subscriber = await connect();
    const seen = collect(subscriber);
    await subscriber.subscribeAsync({ 'conformance/overlap/#': { qos: 0 }, 'conformance/overlap/x': { qos: 2 } });
    const publisher = await connect();
    await publisher.publishAsync('conformance/overlap/x', 'both', { qos: 2 });
    // Markers from the same publisher on the same topic and QoS come after every copy of what it sent before (an ordered topic).
    await publisher.publishAsync('conformance/overlap/x', 'marker', { qos: 2 });
    await expectEventually(() => seen.find((m) => m.payload === 'marker'), { what: 'the marker after the overlapping delivery' });
    expect(Math.max(...seen.filter((m) => m.payload === 'both').map((m) => m.qos))).toBe(2);
    await subscriber.subscribeAsync('conformance/overlap-marker', { qos: 1 });
    await subscriber.unsubscribeAsync(['conformance/overlap/#', 'conformance/overlap/x']);
    await publisher.publishAsync('conformance/overlap/x', 'after', { qos: 1 });
    await publisher.publishAsync('conformance/overlap-marker', 'after the unsubscribe', { qos: 1 });
    await expectEventually(() => seen.find((m) => m.topic === 'conformance/overlap-marker'), { what: 'the marker after the unsubscribe' });
    expect(seen.filter((m) => m.payload === 'after')).toEqual([]);
    // A service cannot even name a $ topic; with '#'-style wildcards the broker delivers nothing under $ (security suite).
    await expect(subscriber.subscribeAsync('$SYS/#', { qos: 0 })).rejects.toMatchObject({ packet: { granted: [128] } });
  });

  it('assigns an id to a zero-length client id with a clean session, and refuses one without [MQTT-3.1.3-6, MQTT-3.1.3-8]', async () => {
    expect(await rawConnect(platform.mqttUrl, { clientId: '', clean: true, username: service.username, password: service.password })).toBe(
      0,
    );
    expect(await rawConnect(platform.mqttUrl, { clientId: '', clean: false, username: service.username, password: service.password })).toBe(
      2,
    );
  });

  it('refuses a service publishing outside its publish filters, and a will outside them', async () => {
    expect(
      await rawConnect(platform.mqttUrl, {
        clientId: `${service.username}-w`,
        clean: true,
        username: service.username,
        password: service.password,
      }),
    ).toBe(0);
    const wide = connect({ will: { topic: 'prices/london/current', payload: Buffer.from('{}'), qos: 1, retain: true } });
    await expect(wide).rejects.toMatchObject({ code: 5 });
    const client = await connect();
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish('prices/london/current', '{"price":"0.0001"}', { qos: 1, retain: true });
    await closed;
  });
});
