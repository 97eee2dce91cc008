import { CompressionTypes, Kafka, Partitioners, logLevel, type Admin, type Consumer, type Message, type Producer } from 'kafkajs';
import { KAFKA_TOPICS, kafkaTopicName, type StreamTopic } from '@wattline/contracts';
import type { BatchHandler, ConsumeOptions, StreamMessage, StreamPayloads, StreamPort, StreamSubscription } from './stream.port';

/** Records per produce request at most (Kafka's default max.request.size is 1 MiB; a reading is ~200 B). */
const MAX_PRODUCE_BATCH = 2000;

export interface KafkaStreamOptions {
  brokers: string[];
  topicPrefix: string;
  clientId: string;
  /** Partitions for topics this adapter creates when they are missing. */
  partitions?: number;
  /** Called for records that cannot be decoded; they are skipped so the partition moves on. */
  onPoisonRecord?: (topic: string, partition: number, offset: string, reason: string) => void;
  log?: (level: 'error' | 'warn' | 'info', message: string) => void;
}

/**
 * The Kafka adapter of the stream port (kafkajs). The producer is idempotent with acks=all,
 * so `publish` resolving means every in-sync replica has the records. Consumers run an
 * `eachBatch` loop with manual commits: the offset moves only after the handler resolves.
 */
export class KafkaStream implements StreamPort {
  readonly kind = 'kafka' as const;
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly consumers = new Set<Consumer>();
  private readonly topicNames: Record<StreamTopic, string>;

  constructor(private readonly options: KafkaStreamOptions) {
    const log = options.log ?? (() => undefined);
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: logLevel.WARN,
      logCreator: () => ({ namespace, level, log: entry }) => {
        const message = `kafkajs ${namespace}: ${entry.message}`;
        log(level === logLevel.ERROR ? 'error' : level === logLevel.WARN ? 'warn' : 'info', message);
      },
      retry: { retries: 8, initialRetryTime: 100 },
    });
    // The Java client's murmur2 partitioner: a meter's records land on the same partition
    // whichever client (or language) produced them.
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 5,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.admin = this.kafka.admin();
    this.topicNames = Object.fromEntries(
      (Object.keys(KAFKA_TOPICS) as StreamTopic[]).map((t) => [t, kafkaTopicName(t, options.topicPrefix)]),
    ) as Record<StreamTopic, string>;
  }

  async start(): Promise<void> {
    await this.admin.connect();
    await this.ensureTopics();
    await this.producer.connect();
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.consumers].map((c) => c.disconnect()));
    this.consumers.clear();
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
  }

  async healthy(): Promise<boolean> {
    try {
      await this.admin.describeCluster();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Group commit: publishes arriving while a produce request is in flight are queued and go
   * out together in the next one, so a thousand meters waiting for their PUBACK cost a handful
   * of round trips to Kafka instead of a thousand. Each caller still resolves only once its
   * own records are acknowledged by all in-sync replicas.
   */
  publish<T extends StreamTopic>(topic: T, messages: StreamMessage<T>[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const encoded = messages.map((m) => ({ key: m.key, value: JSON.stringify(m.value) }));
      this.outbox.push({ topic: this.topicNames[topic], messages: encoded, resolve, reject });
      void this.flush();
    });
  }

  private readonly outbox: { topic: string; messages: Message[]; resolve: () => void; reject: (error: Error) => void }[] = [];
  private flushing = false;

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.outbox.length > 0) {
        const batch: typeof this.outbox = [];
        let size = 0;
        while (this.outbox.length > 0 && (batch.length === 0 || size + this.outbox[0].messages.length <= MAX_PRODUCE_BATCH)) {
          const item = this.outbox.shift()!;
          size += item.messages.length;
          batch.push(item);
        }
        const byTopic = new Map<string, Message[]>();
        for (const item of batch) {
          const messages = byTopic.get(item.topic);
          if (messages) messages.push(...item.messages);
          else byTopic.set(item.topic, [...item.messages]);
        }
        try {
          await this.producer.sendBatch({
            acks: -1,
            compression: CompressionTypes.None,
            topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
          });
          for (const item of batch) item.resolve();
        } catch (error) {
          for (const item of batch) item.reject(error as Error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  async consume<T extends StreamTopic>(
    topic: T,
    group: string,
    handler: BatchHandler<T>,
    options: ConsumeOptions = {},
  ): Promise<StreamSubscription> {
    const consumer = this.kafka.consumer({
      groupId: `${this.options.topicPrefix}${group}`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
      // A crashed member's partitions wait this long before another takes them over.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    this.consumers.add(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: this.topicNames[topic], fromBeginning: options.fromBeginning ?? false });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        const values: StreamPayloads[T][] = [];
        for (const message of batch.messages) {
          try {
            values.push(JSON.parse(message.value?.toString('utf8') ?? 'null') as StreamPayloads[T]);
          } catch (error) {
            // A poison record must not stall the partition: report it and move past it.
            this.options.onPoisonRecord?.(batch.topic, batch.partition, message.offset, (error as Error).message);
          }
        }
        if (values.length > 0) await handler(values);
        const last = batch.messages[batch.messages.length - 1].offset;
        resolveOffset(last);
        // Commit only after the handler resolved: at-least-once, never at-most-once.
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
        await heartbeat();
      },
    });
    return {
      stop: async () => {
        this.consumers.delete(consumer);
        await consumer.disconnect();
      },
    };
  }

  private async ensureTopics(): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    const partitions = this.options.partitions ?? 6;
    const wanted = (Object.keys(this.topicNames) as StreamTopic[])
      .filter((t) => !existing.has(this.topicNames[t]))
      .map((t) => ({
        topic: this.topicNames[t],
        numPartitions: t === 'tariffs' || t === 'status' ? 3 : partitions,
        replicationFactor: -1,
        configEntries:
          t === 'tariffs' || t === 'status'
            ? [{ name: 'cleanup.policy', value: 'compact' }]
            : [{ name: 'min.insync.replicas', value: '1' }],
      }));
    if (wanted.length > 0) await this.admin.createTopics({ topics: wanted, waitForLeaders: true });
  }
}
