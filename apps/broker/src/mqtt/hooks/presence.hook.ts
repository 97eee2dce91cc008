import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Aedes } from 'aedes';
import { mqttTopics, statusPayload } from '@wattline/contracts';
import { CLOCK, Metrics, type Clock } from '@wattline/platform';
import { STREAM, type StreamPort } from '@wattline/stream';
import { BrokerState } from '../../state/broker-state';
import { AEDES, publishFromBroker, type BrokerClient } from '../broker-client';

/**
 * Presence: retained `meters/{id}/status` and the `meter.status` stream, on aedes'
 * `clientReady` and `clientDisconnect` events. A device that reconnects elsewhere has been
 * claimed by the new connection; the old one's disconnect then says nothing.
 */
@Injectable()
export class PresenceHook {
  private readonly logger = new Logger('MqttPresence');

  constructor(
    @Inject(AEDES) private readonly aedes: Aedes,
    @Inject(STREAM) private readonly stream: StreamPort,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly state: BrokerState,
    private readonly metrics: Metrics,
  ) {
    aedes.on('clientReady', (client) => void this.onPresence(client as BrokerClient, 'online'));
    aedes.on('clientDisconnect', (client) => void this.onPresence(client as BrokerClient, 'offline'));
    // A client that authenticated (and claimed presence) but failed before it was ready.
    aedes.on('connectionError', (client) => !client.connected && void this.onPresence(client as BrokerClient, 'offline'));
    aedes.on('clientError', (client, error) => this.logger.debug(`client ${client.id}: ${error.message}`));
  }

  private async onPresence(client: BrokerClient, state: 'online' | 'offline'): Promise<void> {
    this.metrics.mqttConnections.set(this.aedes.connectedClients);
    const principal = client.principal;
    if (principal?.kind !== 'meter') return;
    const meterId = principal.meterId;
    try {
      if (state === 'offline' && (!client.presenceToken || !(await this.state.presence.release(meterId, client.presenceToken)))) return;
      const record = { meterId, state, since: this.clock.now() };
      await publishFromBroker(this.aedes, { topic: mqttTopics.status(meterId), payload: Buffer.from(JSON.stringify(statusPayload(record))), qos: 1, retain: true });
      // The aggregator folds `meter.status` into PostgreSQL in batches: no database write per CONNECT.
      await this.stream.publish('status', [{ key: meterId, value: record }]);
    } catch (error) {
      this.logger.warn(`status of ${meterId} not recorded: ${(error as Error).message}`);
    }
  }
}
