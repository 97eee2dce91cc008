// Long on purpose: the whole Kafka adapter of the stream port (producer with group commit, consumers, topic
// creation and health); the consumer loop it shares with the in-process adapter is in consumer-loop.ts.
import {
  CompressionTypes,
  Kafka,
  Partitioners,
  logLevel,
  type Admin,
  type Consumer,
  type ICustomPartitioner,
  type Message,
  type Producer,
} from 'kafkajs';
import { DEAD_LETTER_TOPIC, KAFKA_TOPICS, kafkaTopicName, type DeadLetterTopic, type StreamTopic } from '@wattline/contracts';
import { ConsumerLoop } from './consumer-loop';
import type {
  BatchHandler,
  ConsumeOptions,
  ConsumerLag,
  StreamHealth,
  StreamMessage,
  StreamObserver,
  StreamPort,
  StreamSubscription,
} from './stream.port';

/** The header a record's partition key travels in where it is not its key (tariffs: the region). */
export const PARTITION_KEY_HEADER = 'wattline-partition-key';

/**
 * The Java client's murmur2 partitioner (kafkajs DefaultPartitioner), on the record's partition
 * key: its key, or the `wattline-partition-key` header where one is set. A meter's records land
 * on one partition whichever client produced them; a region's tariffs, each with its own key
 * so that compaction keeps every interval, still land on one partition, in order.
 */
const partitionByKeyHeader: ICustomPartitioner = () => {
  const murmur2 = Partitioners.DefaultPartitioner();
  return (args) => {
    const header = args.message.headers?.[PARTITION_KEY_HEADER];
    return murmur2(
      header === undefined ? args : { ...args, message: { ...args.message, key: Buffer.isBuffer(header) ? header : String(header) } },
    );
  };
};

/** One subscription's group member: the kafkajs consumer of the moment, rebuilt after a crash kafkajs does not restart from. */
interface Member {
  consumer: Consumer | null;
  stopped: boolean;
  rebuilds: number;
  timer: NodeJS.Timeout | null;
  /** Why the member is down, from its crash until a new one joins. */
  crash: string | null;
}

/** Topics whose latest record per key is what matters (announcements are keyed by their MQTT topic). */
const COMPACTED = new Set<StreamTopic>(['tariffs', 'status', 'announcements']);

/** Records per produce request at most (Kafka's default max.request.size is 1 MiB; a reading is ~200 B). */
const MAX_PRODUCE_BATCH = 2000;

/** How long a batch's offset commit may take (milliseconds when the coordinator answers) before its member is rebuilt. */
const COMMIT_WITHIN_MS = 5_000;

/**
 * An offset commit's outcome within COMMIT_WITHIN_MS: committed, or why its member must be rebuilt
 * (kafkajs retries a commit refused NOT_COORDINATOR against the same broker, for minutes). Any
 * other error is the caller's, as before.
 */
async function commitWithin(commit: Promise<void>): Promise<'committed' | string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`not answered within ${COMMIT_WITHIN_MS / 1000} s`), COMMIT_WITHIN_MS);
  });
  commit.catch(() => undefined); // a late rejection, after the bound, is the abandoned member's
  try {
    return await Promise.race([commit.then(() => 'committed' as const), late]);
  } catch (error) {
    const chain: { type?: string; originalError?: unknown; cause?: unknown }[] = [];
    for (
      let e: unknown = error;
      e && chain.length < 5;
      e = (e as { originalError?: unknown }).originalError ?? (e as { cause?: unknown }).cause
    )
      chain.push(e as { type?: string });
    if (chain.some((e) => e.type === 'NOT_COORDINATOR_FOR_GROUP')) return `refused: ${(error as Error).message}`;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** How long stopping waits for each kafkajs client to disconnect (the app's shutdown grace is 30 s by default). */
const DISCONNECT_WITHIN_MS = 8_000;

export interface KafkaStreamOptions {
  brokers: string[];
  topicPrefix: string;
  clientId: string;
  /** Partitions for topics this adapter creates when they are missing. */
  partitions?: number;
  /** Replicas of the topics it creates (unset: the cluster's default.replication.factor). */
  replicationFactor?: number;
  /** min.insync.replicas of the topics it creates (default 1; 2 with 3 replicas in production). */
  minInsyncReplicas?: number;
  /** Told of dead letters and retries (metrics). */
  observer?: StreamObserver;
  /** First back-off after a failed batch; doubles up to 10 s. */
  retryBaseMs?: number;
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
  private producer: Producer;
  /** A produce request failed: the producer is replaced before the next one (see flush). */
  private producerSuspect = false;
  private readonly admin: Admin;
  /** Each subscription's member (rebuilt when kafkajs gives up on it) and its loop. */
  private readonly members = new Map<Member, ConsumerLoop<StreamTopic>>();
  private probe: { at: number; result: Promise<{ reachable: boolean; detail?: string }> } | null = null;
  private topicsEnsuredAt = 0;
  private readonly topicNames: Record<StreamTopic, string>;

  constructor(private readonly options: KafkaStreamOptions) {
    const log = options.log ?? (() => undefined);
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ namespace, level, log: entry }) => {
          // The entry's own fields say what failed (a request's error: "Response OffsetCommit" alone does not).
          const {
            message: text,
            error,
            broker,
            groupId,
            topic,
          } = entry as { message: string; error?: string; broker?: string; groupId?: string; topic?: string };
          const detail = [error, groupId && `group ${groupId}`, topic && `topic ${topic}`, broker && `broker ${broker}`]
            .filter(Boolean)
            .join(', ');
          const message = `kafkajs ${namespace}: ${text}${detail ? ` (${detail})` : ''}`;
          log(level === logLevel.ERROR ? 'error' : level === logLevel.WARN ? 'warn' : 'info', message);
        },
      retry: { retries: 8, initialRetryTime: 100 },
    });
    this.producer = this.newProducer();
    this.admin = this.kafka.admin();
    this.topicNames = Object.fromEntries(
      (Object.keys(KAFKA_TOPICS) as StreamTopic[]).map((t) => [t, kafkaTopicName(t, options.topicPrefix)]),
    ) as Record<StreamTopic, string>;
  }

  private newProducer(): Producer {
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 5,
      allowAutoTopicCreation: false,
      createPartitioner: partitionByKeyHeader,
    });
  }

  async start(): Promise<void> {
    await this.admin.connect();
    await this.ensureTopics();
    await this.producer.connect();
  }

  /**
   * Leaves the groups and closes the clients, each within DISCONNECT_WITHIN_MS. kafkajs'
   * disconnect waits for what the client is doing (a member still joining its group waits for
   * the JoinGroup answer, which the coordinator may hold up to the rebalance timeout, 60 s): after
   * Kafka was stalled at start-up, shutdown once ran past the app's 30 s grace. Past the bound
   * (logged, naming the client) the process goes on: the coordinator drops a
   * member that did not leave after its session timeout (10 s), and whatever it had not
   * committed is delivered again (at-least-once; the store counts a reading once).
   */
  async stop(): Promise<void> {
    for (const member of this.members.keys()) {
      member.stopped = true;
      if (member.timer) clearTimeout(member.timer);
    }
    await Promise.all([...this.members.keys()].map((m) => this.bounded(m.consumer?.disconnect(), 'a consumer leaving its group')));
    this.members.clear();
    await Promise.all([
      this.bounded(this.producer.disconnect(), 'the producer'),
      this.bounded(this.admin.disconnect(), 'the admin client'),
    ]);
  }

  private async bounded(closing: Promise<void> | undefined, what: string): Promise<void> {
    if (!closing) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), DISCONNECT_WITHIN_MS);
      timer.unref();
    });
    const outcome = await Promise.race([
      closing.then(
        () => 'closed' as const,
        () => 'closed' as const,
      ),
      late,
    ]);
    clearTimeout(timer);
    if (outcome === 'late')
      this.options.log?.('warn', `kafka: ${what} did not finish within ${DISCONNECT_WITHIN_MS / 1000} s; going on without it`);
  }

  /**
   * Reachability answered within `timeoutMs` whatever Kafka does (kafkajs would retry for
   * tens of seconds); one probe at a time, reused for a second, so /health under load or
   * during an outage does not pile requests onto the cluster.
   */
  async health(timeoutMs = 800): Promise<StreamHealth> {
    if (!this.probe || Date.now() - this.probe.at > 1000) {
      const result = this.admin.describeCluster().then(
        (cluster) => ({ reachable: cluster.brokers.length > 0 }),
        (error: Error) => ({ reachable: false, detail: error.message }),
      );
      this.probe = { at: Date.now(), result };
    }
    const timeout = new Promise<{ reachable: boolean; detail: string }>((resolve) =>
      setTimeout(() => resolve({ reachable: false, detail: `no answer from Kafka within ${timeoutMs} ms` }), timeoutMs).unref(),
    );
    const reach = await Promise.race([this.probe.result, timeout]);
    const consumers = [...this.members].map(([member, loop]) =>
      member.crash ? { ...loop.health, state: 'crashed' as const, lastError: member.crash } : { ...loop.health },
    );
    return { ...reach, consumers };
  }

  /**
   * Each group's lag from Kafka's own offsets: per partition, the end offset against the
   * group's committed one (none committed yet: from the partition's start). One request per
   * topic and one per group; the groups this process consumes as, whatever their members' state.
   */
  async lag(): Promise<ConsumerLag[]> {
    const subscribed = new Map<string, { group: string; topic: StreamTopic }>();
    for (const loop of this.members.values()) {
      const { group, topic } = loop.health;
      subscribed.set(`${group}\u0000${topic}`, { group, topic });
    }
    const ends = new Map<StreamTopic, Promise<{ partition: number; high: string; low: string }[]>>();
    const out: ConsumerLag[] = [];
    for (const { group, topic } of subscribed.values()) {
      const name = this.topicNames[topic];
      if (!ends.has(topic)) ends.set(topic, this.admin.fetchTopicOffsets(name));
      const [committed, end] = await Promise.all([
        this.admin.fetchOffsets({ groupId: `${this.options.topicPrefix}${group}`, topics: [name] }),
        ends.get(topic)!,
      ]);
      const byPartition = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      for (const p of end) {
        const at = byPartition.get(p.partition) ?? -1;
        out.push({ group, topic, partition: p.partition, lag: Math.max(0, Number(p.high) - (at < 0 ? Number(p.low) : at)) });
      }
    }
    return out;
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
      const encoded = messages.map((m): Message => ({
        key: m.key,
        value: JSON.stringify(m.value),
        ...(m.partitionKey === undefined ? {} : { headers: { [PARTITION_KEY_HEADER]: m.partitionKey } }),
      }));
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
        // Taken with one splice: shift() per item is a memmove of the whole queue once it is
        // long (V8 left-trims only small arrays), and the profile showed a third of the broker's
        // CPU in this loop under load.
        let count = 0;
        let size = 0;
        while (count < this.outbox.length && (count === 0 || size + this.outbox[count].messages.length <= MAX_PRODUCE_BATCH)) {
          size += this.outbox[count].messages.length;
          count += 1;
        }
        const batch = this.outbox.splice(0, count);
        const byTopic = new Map<string, Message[]>();
        for (const item of batch) {
          let messages = byTopic.get(item.topic);
          if (!messages) byTopic.set(item.topic, (messages = []));
          for (const message of item.messages) messages.push(message);
        }
        try {
          // After a failed request the idempotent producer's sequence numbers are not to be trusted. Measured: after a
          // leader's SIGKILL, acknowledged readings were missing from the topic (kafka-replicated faults spec: 7 of
          // 5,705, of one produce request, read back from the topic), and with this replacement two runs were exact.
          // The likely mechanism (not traced at the protocol level): a batch the dying leader had written but reported
          // failed kept its sequence, kafkajs gave that sequence to the next, different batch, and the new leader
          // answered it as a duplicate, which resolves as sent. A new producer id starts its sequences afresh; what was
          // written twice is counted once by the store.
          if (this.producerSuspect) await this.replaceProducer();
          await this.producer.sendBatch({
            acks: -1,
            compression: CompressionTypes.None,
            topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
          });
          for (const item of batch) item.resolve();
        } catch (error) {
          this.producerSuspect = true;
          this.recreateTopicsIfMissing(error);
          for (const item of batch) item.reject(error as Error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** A fresh producer (a new producer id) in place of one whose request failed; if it cannot connect yet, the batch fails and the next tries again. */
  private async replaceProducer(): Promise<void> {
    const old = this.producer;
    this.producer = this.newProducer();
    await this.bounded(old.disconnect(), 'the replaced producer');
    await this.producer.connect();
    this.producerSuspect = false;
    this.options.log?.('warn', 'kafka: a produce request failed; the producer was replaced (new producer id) before the next');
  }

  /**
   * A consumer group member that is never left dead. kafkajs restarts a member itself after a
   * retriable crash; after a non-retriable one (a session lost while Kafka was stalled: "The
   * coordinator is not aware of this member", a rebalance it missed, retries exhausted while
   * finding the coordinator) it stops for good (`payload.restart === false`, kafkajs
   * src/consumer/index.js, onCrash). Here that member is disconnected and a new one built and
   * joined, with back-off (1 s doubling to 30 s, reset once a member joins), until the
   * subscription is stopped. The first join is awaited as before; if it fails (Kafka lost in
   * the middle of start-up) the rebuild goes on in the background instead of failing the app.
   * /health says `crashed` from the crash until a member joins again.
   */
  async consume<T extends StreamTopic>(
    topic: T,
    group: string,
    handler: BatchHandler<T>,
    options: ConsumeOptions = {},
  ): Promise<StreamSubscription> {
    const name = this.topicNames[topic];
    const deadLetterTopic: DeadLetterTopic | null = DEAD_LETTER_TOPIC[topic];
    const loop = new ConsumerLoop(
      topic,
      group,
      name,
      handler,
      options,
      deadLetterTopic ? (letters: StreamMessage<DeadLetterTopic>[]) => this.publish(deadLetterTopic, letters) : null,
      (message) => this.options.log?.('warn', message),
      this.options.observer ?? { deadLettered: () => undefined, retried: () => undefined },
      this.options.retryBaseMs ?? 200,
    );
    const member: Member = { consumer: null, stopped: false, rebuilds: 0, timer: null, crash: null };
    this.members.set(member, loop as unknown as ConsumerLoop<StreamTopic>);
    const log = this.options.log ?? (() => undefined);
    const rebuild = (reason: string) => {
      if (member.stopped || member.timer) return;
      const waitMs = Math.min(30_000, 1000 * 2 ** Math.min(member.rebuilds, 5));
      member.rebuilds += 1;
      member.crash = reason;
      log('warn', `consumer ${group} on ${name} is rebuilt in ${waitMs / 1000} s (${reason})`);
      const old = member.consumer;
      member.consumer = null;
      member.timer = setTimeout(() => {
        member.timer = null;
        void (async () => {
          await old?.disconnect().catch(() => undefined);
          if (member.stopped) return;
          await join().catch((error: Error) => rebuild(`joining failed: ${error.message}`));
        })();
      }, waitMs);
      member.timer.unref();
    };
    const join = async () => {
      const consumer = this.kafka.consumer({
        groupId: `${this.options.topicPrefix}${group}`,
        allowAutoTopicCreation: false,
        maxWaitTimeInMs: 100,
        // A crashed member's partitions wait this long before another takes them over.
        sessionTimeout: 10_000,
        heartbeatInterval: 1_000,
        // Back off between restarts after a crash (kafkajs' default restarts within a few hundred ms).
        retry: { retries: 10, initialRetryTime: 500, maxRetryTime: 30_000 },
      });
      member.consumer = consumer;
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        this.recreateTopicsIfMissing(payload.error);
        log('error', `consumer ${group} on ${name} crashed${payload.restart ? ' (kafkajs restarts it)' : ''}: ${payload.error.message}`);
        if (payload.restart) return;
        if (member.consumer === consumer) rebuild(payload.error.message);
      });
      consumer.on(consumer.events.GROUP_JOIN, () => {
        if (member.consumer !== consumer) return;
        if (member.crash) log('info', `consumer ${group} on ${name} joined again after ${member.rebuilds} rebuild(s)`);
        member.crash = null;
        member.rebuilds = 0;
      });
      await consumer.connect();
      await consumer.subscribe({ topic: name, fromBeginning: options.fromBeginning ?? false });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: options.partitionsAtOnce ?? 1,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          // A member being rebuilt (member.consumer is its successor, or null) handles nothing more: its batches go to the next one.
          const current = () => isRunning() && !isStale() && !member.stopped && member.consumer === consumer;
          if (!current() || batch.messages.length === 0) return;
          const records = batch.messages.map((m) => ({
            key: m.key?.toString('utf8') ?? null,
            text: m.value?.toString('utf8') ?? null,
            partition: batch.partition,
            offset: m.offset,
          }));
          const done = await loop.process(records, { isRunning: current, heartbeat });
          // Stopped or rebalanced mid-batch: commit nothing; the batch is delivered again.
          if (!done) return;
          const last = batch.messages[batch.messages.length - 1].offset;
          resolveOffset(last);
          // Commit only after the handler resolved: at-least-once, never at-most-once.
          const committed = await commitWithin(
            consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]),
          );
          if (committed !== 'committed') {
            // The group's coordinator moved (its broker was killed and came back, another took the group over): kafkajs
            // refreshes the metadata but keeps committing to the broker it joined through (src/consumer/offsetManager,
            // commitOffsets/getCoordinator), answered NOT_COORDINATOR on every retry, while the partition waits: storing
            // stopped under a Kafka leader kill (kafka-replicated faults spec: 97 of 9,055 stored, lag on every
            // partition). A new member finds the coordinator afresh; the batch is delivered to it again and stored once.
            rebuild(`offset commit ${committed}`);
            return;
          }
          await heartbeat();
        },
      });
      // Stopped while this member was joining: it must not outlive its subscription.
      if (member.stopped) await consumer.disconnect().catch(() => undefined);
    };
    try {
      await join();
    } catch (error) {
      rebuild(`joining failed: ${(error as Error).message}`);
    }
    return {
      stop: async () => {
        member.stopped = true;
        if (member.timer) clearTimeout(member.timer);
        this.members.delete(member);
        // Bounded as in stop(): a member still joining its group (just after a stall) waits up to the rebalance timeout to leave.
        await this.bounded(member.consumer?.disconnect(), `consumer ${group} on ${name} leaving its group`);
      },
    };
  }

  /** Appends records as text, as any producer could (the contract suite sends poison this way). */
  async appendRaw(topic: StreamTopic, records: { key: string | null; text: string | null }[]): Promise<void> {
    await this.producer.send({ topic: this.topicNames[topic], acks: -1, messages: records.map((r) => ({ key: r.key, value: r.text })) });
  }

  /**
   * A Kafka that came back empty (topics gone) answers UNKNOWN_TOPIC_OR_PARTITION forever:
   * create the topics again (at most every 5 s), so producers and consumers recover by
   * themselves instead of stalling until someone intervenes.
   */
  private recreateTopicsIfMissing(error: unknown): void {
    const type = (error as { type?: string } | null)?.type;
    if (
      type !== 'UNKNOWN_TOPIC_OR_PARTITION' &&
      !/does not host this topic|topic.*not.*exist/i.test((error as Error | null)?.message ?? '')
    )
      return;
    if (Date.now() - this.topicsEnsuredAt < 5000) return;
    this.topicsEnsuredAt = Date.now();
    this.ensureTopics().then(
      () => this.options.log?.('warn', 'stream topics were missing and have been created again'),
      (e: Error) => this.options.log?.('warn', `re-creating missing topics failed: ${e.message}`),
    );
  }

  private async ensureTopics(): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    const partitions = this.options.partitions ?? 6;
    const wanted = (Object.keys(this.topicNames) as StreamTopic[])
      .filter((t) => !existing.has(this.topicNames[t]))
      .map((t) => ({
        topic: this.topicNames[t],
        numPartitions: COMPACTED.has(t) ? 3 : partitions,
        replicationFactor: this.options.replicationFactor ?? -1,
        // acks=all waits for min.insync.replicas copies: with 3 replicas and 2 in sync a broker
        // may fail without losing an acknowledged reading or stopping the producers.
        configEntries: [
          ...(COMPACTED.has(t) ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
          { name: 'min.insync.replicas', value: String(this.options.minInsyncReplicas ?? 1) },
        ],
      }));
    if (wanted.length === 0) return;
    await this.admin.createTopics({ topics: wanted, waitForLeaders: false });
    await this.waitForLeaders(wanted.map((w) => w.topic));
  }

  /**
   * Waits until every partition of new topics has a leader. kafkajs' own `waitForLeaders`
   * retries only LEADER_NOT_AVAILABLE, but a broker asked for the metadata of a topic created a
   * moment ago may still answer UNKNOWN_TOPIC_OR_PARTITION ("This server does not host this
   * topic-partition"), and kafkajs then gives up (src/admin/index.js, createTopics; the race of
   * tulios/kafkajs#815). Both answers mean "not yet" here.
   */
  private async waitForLeaders(topics: string[], timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const { topics: found } = await this.admin.fetchTopicMetadata({ topics });
        if (found.length === topics.length && found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
          return;
      } catch (error) {
        const type = (error as { type?: string }).type;
        if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE') throw error;
      }
      if (Date.now() > deadline) throw new Error(`the new topics ${topics.join(', ')} have no leader after ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
