import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CONSUMER_GROUPS, mqttTopics, type DeadLetterRecord, type ReadingRecord } from '@wattline/contracts';
import { isTransientDatabaseError, type ReadingConflict } from '@wattline/persistence';
import { STREAM, type StreamPort, type StreamSubscription } from '@wattline/stream';
import type { WattlineConfig } from '@wattline/config';
import { CONFIG } from '@wattline/platform';
import { TickScheduler } from '../clock/tick.scheduler';
import { ReadingStoreService } from '../readings/reading-store.service';

/**
 * The consumer loop only: take a batch from `meter.readings` and store it. The stream commits
 * the position after this resolves, waits out a database outage, and dead-letters a record
 * the database refuses for good. Closing intervals is the scheduler's (jobs/).
 */
/** Partitions of `meter.readings` stored at once by one aggregator (the pool holds 10 connections). */
const READING_PARTITIONS_AT_ONCE = 3;

@Injectable()
export class ReadingsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReadingsConsumer.name);
  private subscription: StreamSubscription | null = null;
  /** The interval each region's newest reading reached, to nudge the scheduler once per interval. */
  private readonly reached = new Map<string, number>();

  constructor(
    @Inject(STREAM) private readonly stream: StreamPort,
    private readonly store: ReadingStoreService,
    private readonly scheduler: TickScheduler,
    @Inject(CONFIG) private readonly config: WattlineConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = await this.stream.consume('readings', CONSUMER_GROUPS.aggregatorReadings, (batch) => this.handle(batch), {
      fromBeginning: true,
      isTransient: isTransientDatabaseError,
      // One partition's batch waits on PostgreSQL while the next could be decoded and sent: the
      // aggregator was half idle at 7–10k readings/s with one at a time. Stores lock their rows
      // in one order and share the region lock, as replicas already do, so batches of different
      // partitions (different meters) may commit side by side.
      partitionsAtOnce: READING_PARTITIONS_AT_ONCE,
    });
    this.logger.log(`consuming readings as group ${CONSUMER_GROUPS.aggregatorReadings}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }

  /** Store, then — the transaction committed — dead-letter the conflicts for the meters to be told. */
  private async handle(batch: ReadingRecord[]): Promise<void> {
    const { conflicts, beyondRetention } = await this.store.store(batch);
    if (conflicts.length > 0 || beyondRetention.length > 0)
      await this.stream.publish('readingsDeadLetter', [
        ...conflicts.map((c) => ({ key: c.reading.meterId, value: conflictLetter(c) })),
        ...beyondRetention.map((r) => ({ key: r.meterId, value: beyondRetentionLetter(r) })),
      ]);
    this.nudgeOnNewInterval(batch);
  }

  /** A region's event time entered a new interval: price and announce now rather than at the next tick. */
  private nudgeOnNewInterval(batch: ReadingRecord[]): void {
    const length = this.config.INTERVAL_SECONDS * 1000;
    let advanced = false;
    for (const r of batch) {
      const interval = Math.floor(Math.min(r.ts, r.receivedAt) / length);
      if (interval > (this.reached.get(r.regionId) ?? -Infinity)) {
        this.reached.set(r.regionId, interval);
        advanced = true;
      }
    }
    if (advanced) this.scheduler.nudge();
  }
}

/** A stored reading as the meter sent it (the contract's payload), for its dead letter. */
function readingPayload(reading: ReadingRecord): string {
  return JSON.stringify({
    ts: new Date(reading.ts).toISOString(),
    periodS: reading.periodS,
    consumptionWh: reading.consumptionWh,
    generationWh: reading.generationWh,
    ...(reading.seq === null ? {} : { seq: reading.seq }),
  });
}

/** A reading older than the raw readings kept (READINGS_RETENTION_MONTHS): its month is final, dropped, never re-opened. */
function beyondRetentionLetter(reading: ReadingRecord): DeadLetterRecord {
  return {
    meterId: reading.meterId,
    topic: mqttTopics.readings(reading.meterId),
    error: 'beyond_retention',
    detail: `the reading at ${new Date(reading.ts).toISOString()} is older than the raw readings kept: its month's sums are final`,
    payload: readingPayload(reading),
    receivedAt: reading.receivedAt,
    notifyMeter: true,
  };
}

function conflictLetter({ reading, heldBy }: ReadingConflict): DeadLetterRecord {
  const held = `${heldBy.seq === null ? '' : `seq ${heldBy.seq} `}at ${new Date(heldBy.ts).toISOString()} (${heldBy.consumptionWh} Wh consumed, ${heldBy.generationWh} Wh generated)`;
  return {
    meterId: reading.meterId,
    topic: mqttTopics.readings(reading.meterId),
    error: 'duplicate_conflict',
    detail: `${reading.seq === null ? `the reading at ${new Date(reading.ts).toISOString()}` : `seq ${reading.seq}`} is already stored with other content: ${held}`,
    payload: readingPayload(reading),
    receivedAt: reading.receivedAt,
    notifyMeter: true,
  };
}
