import type {
  AnnouncementRecord,
  DeadLetterRecord,
  PoisonReason,
  ReadingRecord,
  StatusRecord,
  StreamTopic,
  TariffRecord,
} from '@wattline/contracts';

/** What travels on each stream topic. */
export interface StreamPayloads {
  readings: ReadingRecord;
  readingsDeadLetter: DeadLetterRecord;
  status: StatusRecord;
  statusDeadLetter: DeadLetterRecord;
  tariffs: TariffRecord;
  tariffsDeadLetter: DeadLetterRecord;
  announcements: AnnouncementRecord;
  announcementsDeadLetter: DeadLetterRecord;
}

export interface StreamMessage<T extends StreamTopic> {
  /** The record's key (what compaction keeps one of): meter id for meter topics, region and interval for tariffs. */
  key: string;
  /** Records with one partition key stay on one partition, in order (default: the key). Tariffs: the region. */
  partitionKey?: string;
  value: StreamPayloads[T];
}

/**
 * Called with a batch of decoded, schema-checked records in order for one partition. The
 * stream moves the group's position past the batch only after the returned promise resolves.
 * A rejection the handler's `isTransient` calls transient (the default) is retried with
 * back-off, never skipped; any other rejection is the records' fault: they are retried one by
 * one and the ones that still fail are dead-lettered with the error, so the partition moves on.
 */
export type BatchHandler<T extends StreamTopic> = (messages: StreamPayloads[T][]) => Promise<void>;

export interface ConsumeOptions {
  /** A group seen for the first time starts at the oldest record (else at new records only). */
  fromBeginning?: boolean;
  /** Is this handler failure worth waiting out (database down) rather than the records' fault? Default: always. */
  isTransient?: (error: unknown) => boolean;
  /**
   * Kafka: how many partitions' batches are handled at once (kafkajs
   * partitionsConsumedConcurrently; default 1). Order still holds within a partition, i.e. per
   * key. The in-process stream has one partition and ignores it.
   */
  partitionsAtOnce?: number;
}

export interface StreamSubscription {
  /** Stops after the batch in hand; the in-process stream first hands over what it holds. */
  stop(): Promise<void>;
}

/** One consumer's state, for /health: `retrying` and `crashed` say since when and why. */
export interface ConsumerHealth {
  topic: StreamTopic;
  group: string;
  state: 'running' | 'retrying' | 'crashed';
  since: number;
  lastError?: string;
}

export interface StreamHealth {
  reachable: boolean;
  detail?: string;
  consumers: ConsumerHealth[];
}

/** How far one consumer group is behind on one partition: records on it not yet processed and committed. */
export interface ConsumerLag {
  group: string;
  topic: StreamTopic;
  partition: number;
  lag: number;
}

/** Told of what the stream does on its own, so it shows in /metrics. */
export interface StreamObserver {
  deadLettered(topic: StreamTopic, reason: PoisonReason): void;
  retried(topic: StreamTopic, group: string): void;
}

/**
 * The stream between the broker and the aggregator. Two adapters pass the same contract
 * suite: Kafka (kafkajs) when KAFKA_BROKERS is set, and an in-process stream otherwise.
 * Records travel as JSON text in both, and are checked against their topic's schema when
 * they come off the stream (libs/contracts `decodeStreamRecord`).
 */
export interface StreamPort {
  readonly kind: 'kafka' | 'in-process';
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Resolves once the records are durably accepted: Kafka, acknowledged by every in-sync
   * replica (acks=all); in-process, processed by every group consuming the topic.
   */
  publish<T extends StreamTopic>(topic: T, messages: StreamMessage<T>[]): Promise<void>;
  consume<T extends StreamTopic>(topic: T, group: string, handler: BatchHandler<T>, options?: ConsumeOptions): Promise<StreamSubscription>;
  /** Reachability (answered within `timeoutMs`) and every consumer's state, for /health. */
  health(timeoutMs?: number): Promise<StreamHealth>;
  /**
   * The lag of every group this process consumes as, per partition: Kafka's own offsets (the
   * partition's end against the group's committed offset); in-process, the records queued.
   */
  lag(): Promise<ConsumerLag[]>;
}

export const STREAM = Symbol('STREAM');
