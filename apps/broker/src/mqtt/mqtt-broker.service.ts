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
  type Principal,
  type TariffRecord,
} from '@wattline/contracts';
import { CatalogRepository } from '@wattline/persistence';
import { CLOCK, CONFIG, Metrics, type Clock } from '@wattline/platform';
import { STREAM, type StreamPort, type StreamSubscription } from '@wattline/stream';
import { ReadingIngestService } from '../ingest/reading-ingest.service';
import { CONNACK, DeviceAuthenticator } from './device-authenticator';
import { startListeners, type Listeners } from './listeners';

type WattlineClient = Client & { principal?: Principal };

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
  /** Newest interval published per region: replays and out-of-order records never move `current` back. */
  private readonly currentIntervalByRegion = new Map<string, number>();

  constructor(
    @Inject(CONFIG) private readonly config: WattlineConfig,
    @Inject(STREAM) private readonly stream: StreamPort,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly authenticator: DeviceAuthenticator,
    private readonly ingest: ReadingIngestService,
    private readonly catalog: CatalogRepository,
    private readonly metrics: Metrics,
  ) {}

  get broker(): Aedes {
    return this.aedes;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.aedes = await Aedes.createBroker({ heartbeatInterval: 60_000, drainTimeout: 30_000, maxClientsIdLength: 64 });
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
    this.aedes.authorizeSubscribe = (client, subscription, done) => {
      done(null, this.authorizeSubscribe(client as WattlineClient, subscription));
    };
    this.aedes.on('clientReady', (client) => this.onPresence(client as WattlineClient, 'online'));
    this.aedes.on('clientDisconnect', (client) => this.onPresence(client as WattlineClient, 'offline'));
    this.aedes.on('clientError', (client, error) => this.logger.debug(`client ${client.id}: ${error.message}`));

    this.tariffs = await this.stream.consume(
      'tariffs',
      `${CONSUMER_GROUPS.brokerTariffs}.${this.aedes.id}`,
      (records) => this.publishPrices(records),
      { fromBeginning: true },
    );
    this.listeners = await startListeners(this.aedes, this.config);
    this.logger.log(
      `MQTT on ${this.config.MQTT_HOST}:${this.config.MQTT_PORT}, WebSocket on :${this.config.MQTT_WS_PORT}/mqtt` +
        (this.config.MQTT_TLS_PORT ? `, TLS on :${this.config.MQTT_TLS_PORT}` : ''),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.tariffs?.stop();
    await this.listeners?.close();
    if (this.aedes) await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
  }

  private async authenticate(client: WattlineClient, username: string | undefined, password: Buffer | undefined): Promise<AuthenticateError | null> {
    if (!username && !password && this.config.ALLOW_ANONYMOUS_DISPLAYS) {
      client.principal = { kind: 'anonymous-display' };
      return null;
    }
    const outcome = await this.authenticator.authenticate(client.id, username, password, this.clock.now());
    if (outcome.ok) {
      client.principal = outcome.principal;
      return null;
    }
    this.metrics.mqttRefusals.inc({ operation: 'connect', reason: outcome.reason });
    this.logger.warn(`CONNECT refused for client ${client.id}: ${outcome.reason}`);
    return Object.assign(new Error(outcome.reason), { returnCode: outcome.returnCode }) as AuthenticateError;
  }

  private async authorizePublish(client: WattlineClient | null, packet: PublishPacket): Promise<void> {
    // A will published after its client is gone: aedes replays it with client = null.
    if (client === null) return;
    const principal = client.principal;
    if (!principal || !canPublish(principal, packet.topic)) {
      this.metrics.mqttRefusals.inc({ operation: 'publish', reason: 'acl' });
      this.logger.warn(`PUBLISH refused for client ${client.id} on ${packet.topic}`);
      // [MQTT-3.3.5-2] MQTT 3.1.1 cannot tell the client; closing the connection is the allowed answer.
      throw new Error(`not authorized to publish to ${packet.topic}`);
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

  private onPresence(client: WattlineClient, state: 'online' | 'offline'): void {
    this.metrics.mqttConnections.set(this.aedes.connectedClients);
    const principal = client.principal;
    if (principal?.kind !== 'meter') return;
    const since = this.clock.now();
    const record = { meterId: principal.meterId, state, since };
    this.aedes.publish(
      { cmd: 'publish', topic: mqttTopics.status(principal.meterId), payload: Buffer.from(JSON.stringify(statusPayload(record))), qos: 1, retain: true, dup: false },
      () => undefined,
    );
    Promise.all([
      this.stream.publish('status', [{ key: principal.meterId, value: record }]),
      this.catalog.setMeterStatus(principal.meterId, state === 'online', since),
    ]).catch((error: Error) => this.logger.warn(`status of ${principal.meterId} not recorded: ${error.message}`));
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
