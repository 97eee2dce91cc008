import { Aedes, type PublishPacket } from 'aedes';
import { Metrics } from '@wattline/platform';
import type { ReadingIngestService } from '../../ingest/reading-ingest.service';
import type { BrokerClient } from '../broker-client';
import { honourUnrouted } from '../unrouted';
import { AuthorizePublishHook } from './authorize-publish.hook';

/**
 * The publish hook on a real in-process aedes: a will replayed without its client (as another
 * broker instance does for a dead one's clients, aedes.js `checkAndPublish`) passes only as a
 * meter's own well-formed status; a live meter's garbage status is acknowledged, answered and
 * not routed; a reading is never routed. The ingest is a stub: this is about the hook's rules.
 */
describe('AuthorizePublishHook', () => {
  let aedes: Aedes;
  const ingested: string[] = [];
  const ingest = {
    ingest: async (_m: string, _r: string, _t: string, payload: Buffer) => {
      ingested.push(payload.toString());
      return [];
    },
  } as unknown as ReadingIngestService;
  const metrics = new Metrics({ defaultMetrics: false });
  const packetOf = (fields: { topic: string; payload: Buffer; clientId?: string; retain?: boolean }) =>
    ({ cmd: 'publish', qos: 1, retain: false, dup: false, ...fields }) as PublishPacket;
  /** aedes' own order: authorize, then (acknowledged) publish the same packet. */
  const authorize = (
    client: BrokerClient | null,
    fields: { topic: string; payload: Buffer; clientId?: string },
    packet = packetOf(fields),
  ) => new Promise<Error | null>((resolve) => aedes.authorizePublish(client as never, packet, (error) => resolve(error ?? null)));
  const authorizeAndPublish = async (client: BrokerClient, fields: { topic: string; payload: Buffer; retain?: boolean }) => {
    const packet = packetOf(fields);
    const error = await authorize(client, fields, packet);
    await new Promise<void>((resolve) => aedes.publish(packet, () => resolve()));
    return error;
  };
  const meter = { id: 'MAC000002', principal: { kind: 'meter', meterId: 'MAC000002', regionId: 'london' } } as unknown as BrokerClient;

  beforeAll(async () => {
    aedes = honourUnrouted(await Aedes.createBroker());
    new AuthorizePublishHook(aedes, { now: () => Date.UTC(2013, 11, 2) }, ingest, metrics);
  });

  afterAll(() => new Promise<void>((resolve) => aedes.close(() => resolve())));

  it('refuses a will without a client on any topic but its meter’s own status', async () => {
    const forged = {
      topic: 'prices/london/current',
      payload: Buffer.from('{"price":"0.0001","intervalStart":"2099-01-01T00:00:00Z"}'),
      clientId: 'MAC000002',
    };
    expect(await authorize(null, forged)).toBeInstanceOf(Error);
    expect(
      await authorize(null, { topic: 'meters/MAC000003/status', payload: Buffer.from('{"state":"offline"}'), clientId: 'MAC000002' }),
    ).toBeInstanceOf(Error);
    expect(
      await authorize(null, { topic: 'meters/MAC000002/status', payload: Buffer.from('garbage-not-json'), clientId: 'MAC000002' }),
    ).toBeInstanceOf(Error);
    expect(
      await authorize(null, { topic: 'meters/MAC000002/status', payload: Buffer.from('{"state":"offline"}'), clientId: 'MAC000002' }),
    ).toBeNull();
    const refused = await metrics.registry.getSingleMetricAsString('wattline_mqtt_refusals_total');
    expect(refused).toMatch(/reason="will without client"\} 3/);
  });

  it('acknowledges a garbage status from a live meter without routing it, and never routes a reading', async () => {
    const seen: string[] = [];
    aedes.subscribe(
      'meters/#',
      (packet, done) => {
        seen.push(`${packet.topic} ${packet.payload.toString()}`);
        done();
      },
      () => undefined,
    );
    expect(await authorizeAndPublish(meter, { topic: 'meters/MAC000002/status', payload: Buffer.from('garbage-not-json') })).toBeNull();
    const reading = {
      topic: 'meters/MAC000002/readings',
      payload: Buffer.from('{"ts":"2013-12-02T00:30:00Z","periodS":1800,"consumptionWh":1}'),
      retain: true,
    };
    expect(await authorizeAndPublish(meter, reading)).toBeNull();
    expect(await authorizeAndPublish(meter, { topic: 'meters/MAC000002/status', payload: Buffer.from('{"state":"online"}') })).toBeNull();
    await new Promise((resolve) => setImmediate(resolve));
    expect(ingested).toHaveLength(1);
    expect(seen).toEqual([
      'meters/MAC000002/errors {"error":"invalid_status","detail":"a status is {\\"state\\":\\"online\\"|\\"offline\\",\\"since\\"?:ISO-8601}","topic":"meters/MAC000002/status"}',
      'meters/MAC000002/status {"state":"online"}',
    ]);
  });
});
