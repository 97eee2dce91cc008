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
 * claimed by the new connection; the old one's disconnect then says nothing. A device's events
 * are published one after another, in the order they were decided, so a quick reconnect never
 * ends on a stale "offline" (online, online, offline); and an "offline" that raced a claim made
 * on another instance is followed by "online" again.
 */
@Injectable()
export class PresenceHook {
  private readonly logger = new Logger('MqttPresence');
  /** The last presence publication of each device still in progress. */
  private readonly pending = new Map<string, Promise<void>>();

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

  private onPresence(client: BrokerClient, state: 'online' | 'offline'): Promise<void> {
    this.metrics.mqttConnections.set(this.aedes.connectedClients);
    const principal = client.principal;
    if (principal?.kind !== 'meter') return Promise.resolve();
    const meterId = principal.meterId;
    const previous = this.pending.get(meterId) ?? Promise.resolve();
    const next = previous.then(() => this.record(client, meterId, state));
    this.pending.set(meterId, next);
    void next.then(() => this.pending.get(meterId) === next && this.pending.delete(meterId));
    return next;
  }

  private async record(client: BrokerClient, meterId: string, state: 'online' | 'offline'): Promise<void> {
    try {
      if (state === 'offline' && (!client.presenceToken || !(await this.state.presence.release(meterId, client.presenceToken)))) return;
      await this.announce(meterId, state);
      // Claimed elsewhere while this "offline" went out: the device is online after all.
      if (state === 'offline' && (await this.state.presence.isClaimed(meterId))) await this.announce(meterId, 'online');
    } catch (error) {
      this.logger.warn(`status of ${meterId} not recorded: ${(error as Error).message}`);
    }
  }

  private async announce(meterId: string, state: 'online' | 'offline'): Promise<void> {
    const record = { meterId, state, since: this.clock.now() };
    await publishFromBroker(this.aedes, {
      topic: mqttTopics.status(meterId),
      payload: Buffer.from(JSON.stringify(statusPayload(record))),
      qos: 1,
      retain: true,
    });
    // The aggregator folds `meter.status` into PostgreSQL in batches: no database write per CONNECT.
    await this.stream.publish('status', [{ key: meterId, value: record }]);
  }
}
