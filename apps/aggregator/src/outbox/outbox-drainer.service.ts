import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { StreamTopic } from '@wattline/contracts';
import type { OutboxRepository } from '@wattline/persistence';
import { CLOCK, type Clock } from '@wattline/platform';
import { STREAM, type StreamMessage, type StreamPort } from '@wattline/stream';

/** How long a claim on outbox rows lasts before another replica may take them over. */
const CLAIM_LEASE_MS = 60_000;

/** One outbox: the table it drains, the topic it feeds, and each row's record. */
export interface Outbox<R, T extends StreamTopic> {
  name: string;
  rows: OutboxRepository<R>;
  topic: T;
  message: (row: R) => StreamMessage<T>;
  /** Told how many rows went out, after they are marked. */
  published?: (rows: R[]) => void;
}

/**
 * Step 7: drains an outbox — claim unpublished rows (one short statement), produce them to their
 * topic with no transaction open, then mark them published. A crash after the produce
 * republishes them once the claim expires (the tariffs topic is compacted by region and
 * interval, and the broker keeps the highest announcement `seq` per topic, so a repeat is
 * harmless); a failed produce gives the claim back. One loop for every outbox.
 */
@Injectable()
export class OutboxDrainer {
  private readonly logger = new Logger(OutboxDrainer.name);
  private readonly claimant = `aggregator@${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  constructor(
    @Inject(STREAM) private readonly stream: StreamPort,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async drain<R, T extends StreamTopic>(outbox: Outbox<R, T>): Promise<number> {
    const claimed = await outbox.rows.claim(this.claimant, this.clock.now(), CLAIM_LEASE_MS);
    if (claimed.length === 0) return 0;
    try {
      await this.stream.publish(outbox.topic, claimed.map(outbox.message));
    } catch (error) {
      await outbox.rows.release(claimed, this.claimant).catch(() => undefined);
      throw error;
    }
    await outbox.rows.markPublished(claimed, this.claimant, this.clock.now());
    outbox.published?.(claimed);
    this.logger.debug(`${claimed.length} ${outbox.name} to ${outbox.topic}`);
    return claimed.length;
  }
}
