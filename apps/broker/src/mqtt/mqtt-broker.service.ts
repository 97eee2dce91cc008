import { randomUUID } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Aedes, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import type { WattlineConfig } from '@wattline/config';
import {
  CONSUMER_GROUPS,
  canPublish,
  canSubscribe,
  errorPayload,
  mqttTopics,
  parseMeterTopic,
  pricePayload,
  statusPayload,
  usernameOf,
  type Principal,
  type TariffRecord,
} from '@wattline/contracts';
import { CLOCK, CONFIG, CONTROL_BUS, Metrics, type Clock, type ControlBus, type ControlEvent } from '@wattline/platform';
import { STREAM, type StreamPort, type StreamSubscription } from '@wattline/stream';
import { ReadingIngestService } from '../ingest/reading-ingest.service';
import { BrokerState } from '../state/broker-state';
import { forwardWithSpecRetain } from '../state/retain-flag';
import { startListeners, type Listeners } from './listeners';
import { CONNACK, MqttAuthenticator } from './mqtt-authenticator';
import { PublishRateLimiter } from './publish-rate-limiter';

/** What the broker attaches to an aedes client. */
type WattlineClient = Client & {
  principal?: Principal;
  /** Decided in preConnect, answered with the right CONNACK code in authenticate. */
  refusal?: { returnCode: number; reason: string };
  presenceToken?: string;
  rateLimiter?: PublishRateLimiter;
  conn: Client['conn'] & Partial<Pick<TLSSocket, 'authorized' | 'getPeerCertificate' | 'remoteAddress'>>;
  req?: { socket?: { remoteAddress?: string } };
};

/**
 * The MQTT edge on aedes. Readings are validated and handed to the stream inside
 * `authorizePublish`, which aedes runs before it writes the PUBACK/PUBREC
 * (lib/handlers/publish.js): the meter is acknowledged only once the stream holds the
 * reading, so a broker that dies earlier loses nothing — the meter resends.
 */
@Injectable()
export class MqttBrokerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('MqttBroker');
  private aedes!: Aedes;
  private listeners: Listeners | null = null;
  private tariffs: StreamSubscription | null = null;
  private unsubscribeControl: (() => void) | null = null;
  /** Newest interval published per region: replays and out-of-order records never move `current` back. */
  private readonly currentIntervalByRegion = new Map<string, number>();

  constructor(
    @Inject(CONFIG) private readonly config: WattlineConfig,
    @Inject(STREAM) private readonly stream: StreamPort,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONTROL_BUS) private readonly control: ControlBus,
    private readonly authenticator: MqttAuthenticator,
    private readonly ingest: ReadingIngestService,
    private readonly state: BrokerState,
    private readonly metrics: Metrics,
  ) {}

  get broker(): Aedes {
    return this.aedes;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.aedes = await Aedes.createBroker({
      ...(await this.state.aedesBackends()),
      heartbeatInterval: 60_000,
      drainTimeout: 30_000,
      maxInflightInbound: this.config.MQTT_MAX_INFLIGHT,
    });
    this.aedes.preConnect = (client, packet, done) => {
      const c = client as WattlineClient;
      // [MQTT-3.1.3-8] a zero-length client id needs a clean session; aedes would invent an id.
      if (packet.clientId === '' && packet.clean === false) c.refusal = { returnCode: CONNACK.identifierRejected, reason: 'empty client id without clean session' };
      else if (this.aedes.connectedClients >= this.config.MQTT_MAX_CONNECTIONS) c.refusal = { returnCode: CONNACK.serverUnavailable, reason: 'connection limit reached' };
      done(null, true); // refusals are answered in authenticate, which can send the CONNACK code
    };
    this.aedes.authenticate = (client, username, password, done) => {
      this.authenticate(client as WattlineClient, username, password).then(
        (error) => done(error, error === null),
        (error: Error) => {
          this.logger.error(`authentication failed for ${client.id}: ${error.message}`);
          done(Object.assign(new Error('server unavailable'), { returnCode: CONNACK.serverUnavailable }) as AuthenticateError, false);
        },
      );
    };
    this.aedes.authorizePublish = (client, packet, done) => {
      this.authorizePublish(client as WattlineClient | null, packet).then(
        () => done(null),
        (error: Error) => done(error),
      );
    };
    this.aedes.authorizeForward = (_client, packet) => forwardWithSpecRetain(packet);
    this.aedes.authorizeSubscribe = (client, subscription, done) => {
      done(null, this.authorizeSubscribe(client as WattlineClient, subscription));
    };
    this.aedes.on('clientReady', (client) => void this.onPresence(client as WattlineClient, 'online'));
    this.aedes.on('clientDisconnect', (client) => void this.onPresence(client as WattlineClient, 'offline'));
    // A client that authenticated (and claimed presence) but failed before it was ready.
    this.aedes.on('connectionError', (client) => !client.connected && void this.onPresence(client as WattlineClient, 'offline'));
    this.aedes.on('clientError', (client, error) => this.logger.debug(`client ${client.id}: ${error.message}`));
    this.unsubscribeControl = this.control.subscribe((event) => void this.onControl(event));

    this.listeners = await startListeners(this.aedes, this.config, (announced) => {
      this.metrics.mqttRefusals.inc({ operation: 'packet', reason: 'too large' });
      this.logger.warn(`connection closed: a packet of ${announced} bytes exceeds MQTT_MAX_PACKET_BYTES`);
    });
    this.logger.log(
      `MQTT on ${this.config.MQTT_HOST}:${this.config.MQTT_PORT}, WebSocket on :${this.config.MQTT_WS_PORT}/mqtt` +
        (this.config.MQTT_TLS_PORT ? `, TLS on :${this.config.MQTT_TLS_PORT}` : '') +
        ` (broker ${this.aedes.id})`,
    );
    // Devices may connect before the tariff consumer has joined its group (after a crash that
    // can take a Kafka session timeout): prices retained in Redis are served meanwhile.
    // With shared state one instance publishes each price (retained in Redis for all); alone,
    // every instance replays the compacted topic into its own memory.
    const group = this.state.shared ? CONSUMER_GROUPS.brokerTariffs : `${CONSUMER_GROUPS.brokerTariffs}.${this.aedes.id}`;
    this.tariffs = await this.stream.consume('tariffs', group, (records) => this.publishPrices(records), { fromBeginning: true });
  }

  async onApplicationShutdown(): Promise<void> {
    this.unsubscribeControl?.();
    await this.tariffs?.stop();
    await this.listeners?.close();
    if (this.aedes) await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
  }

  private async authenticate(client: WattlineClient, username: string | undefined, password: Buffer | undefined): Promise<AuthenticateError | null> {
    const certificate = clientCertificate(client);
    // A certificate TLS_CA did not sign is an impostor's, not an anonymous display's.
    const refusal = client.refusal ?? (certificate && !certificate.trusted ? { returnCode: CONNACK.notAuthorized, reason: 'client certificate not trusted' } : undefined);
    const outcome = refusal
      ? ({ ok: false, ...refusal } as const)
      : await this.authenticator.authenticate({
          clientId: client.id,
          username,
          password,
          address: client.req?.socket?.remoteAddress ?? client.conn.remoteAddress ?? 'unknown',
          certificateIdentity: certificate?.commonName ?? null,
        });
    if (outcome.ok) {
      client.principal = outcome.principal;
      if (outcome.principal.kind === 'meter') {
        // Claimed before CONNACK, i.e. before aedes takes the session over from an older
        // connection (here or on another instance): that one's disconnect then finds the claim
        // gone and stays silent, instead of racing an "offline" past this "online".
        client.presenceToken = `${this.aedes.id}:${randomUUID()}`;
        await this.state.presence.claim(outcome.principal.meterId, client.presenceToken);
      }
      client.rateLimiter = new PublishRateLimiter(this.config.MQTT_MAX_PUBLISH_RATE, this.config.MQTT_MAX_PUBLISH_RATE * 10, this.clock.now());
      return null;
    }
    this.metrics.mqttRefusals.inc({ operation: 'connect', reason: outcome.reason });
    this.logger.warn(`CONNECT refused for client ${client.id}: ${outcome.reason}`);
    return Object.assign(new Error(outcome.reason), { returnCode: outcome.returnCode }) as AuthenticateError;
  }

  private async authorizePublish(client: WattlineClient | null, packet: PublishPacket): Promise<void> {
    // A will published after its client is gone: aedes replays it with client = null.
    if (client === null) return;
    this.metrics.publishesReceived.inc();
    const principal = client.principal;
    if (!principal || !canPublish(principal, packet.topic)) {
      this.metrics.mqttRefusals.inc({ operation: 'publish', reason: 'acl' });
      this.logger.warn(`PUBLISH refused for client ${client.id} on ${packet.topic}`);
      // [MQTT-3.3.5-2] MQTT 3.1.1 cannot tell the client; closing the connection is the allowed answer.
      throw new Error(`not authorized to publish to ${packet.topic}`);
    }
    const wait = client.rateLimiter?.take(this.clock.now()) ?? 0;
    if (wait > 0) {
      this.metrics.publishThrottled.inc();
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const topic = parseMeterTopic(packet.topic);
    if (topic?.kind === 'readings' && principal.kind === 'meter') {
      const letters = await this.ingest.ingest(principal.meterId, principal.regionId, packet.topic, packet.payload as Buffer);
      for (const letter of letters) {
        this.aedes.publish(
          { cmd: 'publish', topic: mqttTopics.errors(principal.meterId), payload: Buffer.from(JSON.stringify(errorPayload(letter))), qos: 1, retain: false, dup: false },
          () => undefined,
        );
      }
    }
  }

  private authorizeSubscribe(client: WattlineClient, subscription: Subscription): Subscription | null {
    const principal = client.principal;
    if (principal && canSubscribe(principal, subscription.topic)) return subscription;
    this.metrics.mqttRefusals.inc({ operation: 'subscribe', reason: 'acl' });
    this.logger.warn(`SUBSCRIBE refused for client ${client.id} on ${subscription.topic}`);
    return null; // SUBACK 0x80 [MQTT-3.9.3-2]
  }

  /**
   * Retained `meters/{id}/status` and the `meter.status` stream. A device that reconnects
   * elsewhere has been claimed by the new connection; the old one's disconnect then says nothing.
   */
  private async onPresence(client: WattlineClient, state: 'online' | 'offline'): Promise<void> {
    this.metrics.mqttConnections.set(this.aedes.connectedClients);
    const principal = client.principal;
    if (principal?.kind !== 'meter') return;
    const meterId = principal.meterId;
    try {
      if (state === 'offline' && (!client.presenceToken || !(await this.state.presence.release(meterId, client.presenceToken)))) return;
      const since = this.clock.now();
      const record = { meterId, state, since };
      this.aedes.publish(
        { cmd: 'publish', topic: mqttTopics.status(meterId), payload: Buffer.from(JSON.stringify(statusPayload(record))), qos: 1, retain: true, dup: false },
        () => undefined,
      );
      // The aggregator folds `meter.status` into PostgreSQL in batches: no database write per CONNECT.
      await this.stream.publish('status', [{ key: meterId, value: record }]);
    } catch (error) {
      this.logger.warn(`status of ${meterId} not recorded: ${(error as Error).message}`);
    }
  }

  /** A revoked credential: forget it and cut off its connections on this instance. */
  private async onControl(event: ControlEvent): Promise<void> {
    if (event.type !== 'credential-revoked') return;
    await this.authenticator.forget(event.username).catch(() => undefined);
    // aedes keeps its connected clients in `clients` (aedes.js registerClient); its types omit it.
    const clients = (this.aedes as unknown as { clients: Record<string, WattlineClient> }).clients;
    for (const client of Object.values(clients)) {
      if (client.principal && usernameOf(client.principal) === event.username) {
        this.logger.warn(`closing ${client.id}: credential ${event.username} revoked`);
        client.close();
      }
    }
  }

  private async publishPrices(records: TariffRecord[]): Promise<void> {
    for (const tariff of records) {
      const current = this.currentIntervalByRegion.get(tariff.regionId);
      if (current !== undefined && current > tariff.intervalStart) continue;
      this.currentIntervalByRegion.set(tariff.regionId, tariff.intervalStart);
      await new Promise<void>((resolve, reject) =>
        this.aedes.publish(
          { cmd: 'publish', topic: mqttTopics.currentPrice(tariff.regionId), payload: Buffer.from(JSON.stringify(pricePayload(tariff))), qos: 1, retain: true, dup: false },
          (error?: Error) => (error ? reject(error) : resolve()),
        ),
      );
    }
  }
}

/**
 * The client certificate of a TLS connection: `trusted` when TLS_CA signed it, with its CN;
 * null when the connection is not TLS or the client presented none.
 */
function clientCertificate(client: WattlineClient): { trusted: boolean; commonName: string | null } | null {
  const conn = client.conn;
  if (typeof conn.getPeerCertificate !== 'function') return null;
  const certificate = conn.getPeerCertificate();
  if (!certificate || Object.keys(certificate).length === 0) return null;
  const cn = certificate.subject?.CN;
  return { trusted: conn.authorized === true, commonName: typeof cn === 'string' && cn.length > 0 ? cn : null };
}
