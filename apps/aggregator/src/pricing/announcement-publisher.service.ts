import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable } from '@nestjs/common';
import { announcementTopic } from '@wattline/contracts';
import { PricingRepository } from '@wattline/persistence';
import { CLOCK, type Clock } from '@wattline/platform';
import { STREAM, type StreamPort } from '@wattline/stream';

const CLAIM_LEASE_MS = 60_000;

/**
 * Drains the announcement outbox to `price.announcements`, keyed by the MQTT topic it is for
 * (the topic is compacted: the newest announcement per topic survives). Claim, produce with no
 * transaction open, mark; a failed produce gives the claim back. The broker keeps the highest
 * `seq` per topic, so a repeat after a crash never replaces a newer announcement.
 */
@Injectable()
export class AnnouncementPublisherService {
  private readonly claimant = `aggregator@${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  constructor(
    private readonly pricing: PricingRepository,
    @Inject(STREAM) private readonly stream: StreamPort,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async publishPending(): Promise<number> {
    const claimed = await this.pricing.claimAnnouncements(this.claimant, this.clock.now(), CLAIM_LEASE_MS);
    if (claimed.length === 0) return 0;
    const seqs = claimed.map((a) => a.seq);
    try {
      await this.stream.publish(
        'announcements',
        claimed.map((a) => ({ key: announcementTopic(a), value: a })),
      );
    } catch (error) {
      await this.pricing.releaseAnnouncementClaims(seqs, this.claimant).catch(() => undefined);
      throw error;
    }
    await this.pricing.markAnnouncementsPublished(seqs, this.claimant, this.clock.now());
    return claimed.length;
  }
}
