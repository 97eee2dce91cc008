import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Aedes, PublishPacket } from 'aedes';
import { canPublish, errorPayload, isMeterStatusPayload, mqttTopics, parseMeterTopic, type DeadLetterRecord } from '@wattline/contracts';
import { CLOCK, Metrics, type Clock } from '@wattline/platform';
import { ReadingIngestService } from '../../ingest/reading-ingest.service';
import { AEDES, publishFromBroker, type BrokerClient } from '../broker-client';
import { markUnrouted } from '../unrouted';

/**
 * aedes' `authorizePublish`: the ACL, the per-client rate limit, and the ingest of readings.
 * aedes runs it before it writes the PUBACK/PUBREC (lib/handlers/publish.js), so a meter is
 * acknowledged only once the stream holds its reading: a broker that dies earlier loses
 * nothing — the meter resends.
 */
@Injectable()
export class AuthorizePublishHook {
  private readonly logger = new Logger('MqttAuthorizePublish');

  constructor(
    @Inject(AEDES) private readonly aedes: Aedes,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly ingest: ReadingIngestService,
    private readonly metrics: Metrics,
  ) {
    aedes.authorizePublish = (client, packet, done) => {
      this.authorize(client as BrokerClient | null, packet).then(
        () => done(null),
        (error: Error) => done(error),
      );
    };
  }

  private async authorize(client: BrokerClient | null, packet: PublishPacket): Promise<void> {
    if (client === null) {
      // A will replayed after its client is gone (by another instance when one dies: aedes.js
      // `checkAndPublish`, with client = null). Wills were authorised at CONNECT; nothing else
      // passes here because it has no client: only a meter's own status, well formed.
      const clientId = (packet as PublishPacket & { clientId?: string }).clientId;
      if (clientId && packet.topic === mqttTopics.status(clientId) && isMeterStatusPayload(packet.payload as Buffer)) return;
      this.metrics.mqttRefusals.inc({ operation: 'publish', reason: 'will without client' });
      this.logger.warn(`PUBLISH without a client refused on ${packet.topic}`);
      throw new Error(`not authorized to publish to ${packet.topic}`);
    }
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
    if (principal.kind !== 'meter' || !topic) return;
    if (topic.kind === 'status') {
      if (isMeterStatusPayload(packet.payload as Buffer)) return;
      // Acknowledged, answered and dropped: a status is retained for every subscriber to read.
      markUnrouted(packet);
      this.metrics.mqttRefusals.inc({ operation: 'publish', reason: 'invalid status' });
      this.answer(principal.meterId, {
        topic: packet.topic,
        error: 'invalid_status',
        detail: 'a status is {"state":"online"|"offline","since"?:ISO-8601}',
      });
      return;
    }
    if (topic.kind !== 'readings') return;
    // Readings travel through the stream only: never routed over MQTT, never retained.
    markUnrouted(packet);
    const letters = await this.ingest.ingest(
      principal.meterId,
      principal.regionPlan ?? principal.regionId,
      packet.topic,
      packet.payload as Buffer,
    );
    for (const letter of letters) this.answer(principal.meterId, letter);
  }

  /** `meters/{id}/errors`: what the meter sent that the platform did not take, and why. */
  private answer(meterId: string, letter: Pick<DeadLetterRecord, 'topic' | 'error' | 'detail' | 'index'>): void {
    const payload = Buffer.from(JSON.stringify(errorPayload(letter)));
    publishFromBroker(this.aedes, { topic: mqttTopics.errors(meterId), payload, qos: 1, retain: false }).catch((error: Error) =>
      this.logger.warn(`error answer to ${meterId} not sent: ${error.message}`),
    );
  }
}
