import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Aedes, PublishPacket } from 'aedes';
import { canPublish, errorPayload, mqttTopics, parseMeterTopic } from '@wattline/contracts';
import { CLOCK, Metrics, type Clock } from '@wattline/platform';
import { ReadingIngestService } from '../../ingest/reading-ingest.service';
import { AEDES, publishFromBroker, type BrokerClient } from '../broker-client';

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
    if (topic?.kind !== 'readings' || principal.kind !== 'meter') return;
    const letters = await this.ingest.ingest(principal.meterId, principal.regionId, packet.topic, packet.payload as Buffer);
    for (const letter of letters) {
      const payload = Buffer.from(JSON.stringify(errorPayload(letter)));
      publishFromBroker(this.aedes, { topic: mqttTopics.errors(principal.meterId), payload, qos: 1, retain: false }).catch((error: Error) =>
        this.logger.warn(`error answer to ${principal.meterId} not sent: ${error.message}`),
      );
    }
  }
}
