import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Aedes } from 'aedes';
import { CONSUMER_GROUPS, mqttTopics, pricePayload, type TariffRecord } from '@wattline/contracts';
import { STREAM, type StreamPort, type StreamSubscription } from '@wattline/stream';
import { BrokerState } from '../state/broker-state';
import { AEDES, closedForDelivery, publishFromBroker } from '../mqtt/broker-client';

/**
 * `tariffs` → retained `prices/{region}/current`. With shared state one instance publishes
 * each price (retained in Redis for all); alone, every instance replays the compacted topic
 * into its own memory.
 */
@Injectable()
export class PriceFanoutService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('PriceFanout');
  private subscription: StreamSubscription | null = null;
  /** Newest interval published per region: replays and out-of-order records never move `current` back. */
  private readonly currentIntervalByRegion = new Map<string, number>();

  constructor(
    @Inject(AEDES) private readonly aedes: Aedes,
    @Inject(STREAM) private readonly stream: StreamPort,
    private readonly state: BrokerState,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Devices may connect before this consumer has joined its group (after a crash that can
    // take a Kafka session timeout): prices retained in Redis are served meanwhile.
    const group = this.state.consumerGroup(CONSUMER_GROUPS.brokerTariffs, this.aedes.id);
    this.subscription = await this.stream.consume('tariffs', group, (records) => this.publish(records), { fromBeginning: true });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }

  private async publish(records: TariffRecord[]): Promise<void> {
    if (closedForDelivery(this.aedes, this.state.shared)) return;
    for (const tariff of records) {
      const current = this.currentIntervalByRegion.get(tariff.regionId);
      if (current !== undefined && current > tariff.intervalStart) continue;
      this.currentIntervalByRegion.set(tariff.regionId, tariff.intervalStart);
      const payload = Buffer.from(JSON.stringify(pricePayload(tariff)));
      await publishFromBroker(this.aedes, { topic: mqttTopics.currentPrice(tariff.regionId), payload, qos: 1, retain: true });
    }
    if (records.length > 0) this.logger.debug(`${records.length} price(s) fanned out`);
  }
}
