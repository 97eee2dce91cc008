import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Aedes } from 'aedes';
import { CONSUMER_GROUPS, errorPayload, mqttTopics, type DeadLetterRecord } from '@wattline/contracts';
import { STREAM, type StreamPort, type StreamSubscription } from '@wattline/stream';
import { AEDES, closedForDelivery, publishFromBroker } from '../mqtt/broker-client';
import { BrokerState } from '../state/broker-state';

/**
 * `meter.readings.dlq` → `meters/{id}/errors`, for what is found wrong after the broker has
 * acknowledged a reading (a seq the aggregator finds held by another reading:
 * `duplicate_conflict`). The broker's own refusals are answered where they happen, so only
 * letters marked `notifyMeter` are sent. QoS 1 to the meter's session: queued while it is offline.
 */
@Injectable()
export class ErrorFanoutService implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscription: StreamSubscription | null = null;

  constructor(
    @Inject(AEDES) private readonly aedes: Aedes,
    @Inject(STREAM) private readonly stream: StreamPort,
    private readonly state: BrokerState,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const group = this.state.consumerGroup(CONSUMER_GROUPS.brokerErrors, this.aedes.id);
    this.subscription = await this.stream.consume('readingsDeadLetter', group, (letters) => this.answer(letters));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }

  private async answer(letters: DeadLetterRecord[]): Promise<void> {
    if (closedForDelivery(this.aedes, this.state.shared)) return;
    for (const letter of letters) {
      if (!letter.notifyMeter || !letter.meterId) continue;
      await publishFromBroker(this.aedes, {
        topic: mqttTopics.errors(letter.meterId),
        payload: Buffer.from(JSON.stringify(errorPayload(letter))),
        qos: 1,
        retain: false,
      });
    }
  }
}
