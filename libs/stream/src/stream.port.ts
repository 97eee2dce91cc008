import type { DeadLetterRecord, ReadingRecord, StatusRecord, StreamTopic, TariffRecord } from '@wattline/contracts';

/** What travels on each stream topic. */
export interface StreamPayloads {
  readings: ReadingRecord;
  readingsDeadLetter: DeadLetterRecord;
  status: StatusRecord;
  tariffs: TariffRecord;
}

export interface StreamMessage<T extends StreamTopic> {
  /** Partitioning key: meter id for meter topics, region id for tariffs. */
  key: string;
  value: StreamPayloads[T];
}

/**
 * Called with a batch of records in order for one partition. The stream moves the group's
 * position past the batch only after the returned promise resolves; if it rejects, the
 * batch is delivered again (at-least-once), so handlers must be idempotent.
 */
export type BatchHandler<T extends StreamTopic> = (messages: StreamPayloads[T][]) => Promise<void>;

export interface ConsumeOptions {
  /** A group seen for the first time starts at the oldest record (else at new records only). */
  fromBeginning?: boolean;
}

export interface StreamSubscription {
  stop(): Promise<void>;
}

/**
 * The stream between the broker and the aggregator. Two adapters pass the same contract
 * suite: Kafka (kafkajs) when KAFKA_BROKERS is set, and an in-process stream otherwise.
 */
export interface StreamPort {
  readonly kind: 'kafka' | 'in-process';
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves once the records are durably accepted (Kafka: acks=all). */
  publish<T extends StreamTopic>(topic: T, messages: StreamMessage<T>[]): Promise<void>;
  consume<T extends StreamTopic>(
    topic: T,
    group: string,
    handler: BatchHandler<T>,
    options?: ConsumeOptions,
  ): Promise<StreamSubscription>;
  /** Is the stream reachable? For /health. */
  healthy(): Promise<boolean>;
}

export const STREAM = Symbol('STREAM');
