import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Aedes } from 'aedes';
import type { WattlineConfig } from '@wattline/config';
import { CONFIG, Metrics } from '@wattline/platform';
import { BrokerState } from '../state/broker-state';
import { AEDES } from './broker-client';
import { startListeners, type Listeners } from './listeners';
import { dropUnreadSysAnnouncements } from './sys-topics';
import { honourUnrouted } from './unrouted';

/** The aedes instance, with the state backends of this mode (memory, or Redis shared by instances). */
export const aedesProvider = {
  provide: AEDES,
  inject: [BrokerState, CONFIG],
  useFactory: async (state: BrokerState, config: WattlineConfig): Promise<Aedes> =>
    dropUnreadSysAnnouncements(
      honourUnrouted(
        await Aedes.createBroker({
          ...(await state.aedesBackends()),
          heartbeatInterval: 60_000,
          drainTimeout: 30_000,
          maxInflightInbound: config.MQTT_MAX_INFLIGHT,
        }),
      ),
    ),
};

/**
 * The MQTT listeners (TCP, WebSocket, TLS) in front of aedes. The hooks install themselves on
 * the shared aedes instance (mqtt/hooks, one file each); this service opens the doors once
 * they are in place and, at shutdown, closes them first — before the stream and the
 * consumers stop — so nothing is acknowledged that could not be handed over.
 */
@Injectable()
export class MqttBrokerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('MqttBroker');
  private listeners: Listeners | null = null;

  constructor(
    @Inject(AEDES) private readonly aedes: Aedes,
    @Inject(CONFIG) private readonly config: WattlineConfig,
    private readonly metrics: Metrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.listeners = await startListeners(this.aedes, this.config, (announced) => {
      this.metrics.mqttRefusals.inc({ operation: 'packet', reason: 'too large' });
      this.logger.warn(`connection closed: a packet of ${announced} bytes exceeds MQTT_MAX_PACKET_BYTES`);
    });
    this.logger.log(
      `MQTT on ${this.config.MQTT_HOST}:${this.config.MQTT_PORT}, WebSocket on :${this.config.MQTT_WS_PORT}/mqtt` +
        (this.config.MQTT_TLS_PORT ? `, TLS on :${this.config.MQTT_TLS_PORT}` : '') +
        ` (broker ${this.aedes.id})`,
    );
  }

  /** Stop accepting, then close every client: after this no reading is acknowledged. */
  async beforeApplicationShutdown(): Promise<void> {
    const connected = this.aedes.connectedClients;
    const closed = this.listeners?.stopAccepting();
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    await closed;
    this.logger.log(`MQTT closed (${connected} client(s) disconnected)`);
  }
}
