import { DEAD_LETTER_TOPIC, type DeadLetterTopic, type StreamTopic } from '@wattline/contracts';
import { ConsumerLoop, type RawRecord } from './consumer-loop';
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

const MAX_BATCH = 500;
/** Topics whose latest record per key is kept and replayed to new groups (Kafka: compacted). */
const COMPACTED: ReadonlySet<StreamTopic> = new Set(['tariffs', 'status']);

interface Entry {
  raw: RawRecord;
  /** On the last record of a publish: resolves that publish once the record is processed. */
  settle?: () => void;
}

interface Group {
  queue: Entry[];
  loop: ConsumerLoop<StreamTopic>;
  draining: boolean;
  stopped: boolean;
  idle: Promise<void>;
}

const NO_OBSERVER: StreamObserver = { deadLettered: () => undefined, retried: () => undefined };

/**
 * The embedded default: one process, no Kafka. Records are kept as JSON text, as on Kafka,
 * and each consumer group gets its own queue, drained in order one batch at a time through
 * the same loop as the Kafka adapter's (schema check, dead letters, back-off).
 *
 * Memory is the only thing that holds a record here, so `publish` resolves only once every
 * group consuming the topic has processed it (the aggregator has committed a reading to
 * PostgreSQL): a meter is acknowledged for what is durable, the queues are bounded by what
 * publishers have in flight, and a stop has nothing acknowledged to lose. Records of a
 * processing topic published before its group starts wait for it; a topic nobody consumes
 * (dead letters, in the embedded mode) is counted by the caller and resolves at once.
 */
export class InProcessStream implements StreamPort {
  readonly kind = 'in-process' as const;
  private readonly groups = new Map<StreamTopic, Map<string, Group>>();
  private readonly latestByKey = new Map<StreamTopic, Map<string, RawRecord>>();
  /** Records of a processing topic no group consumes yet (the first group to come takes them). */
  private readonly unclaimed = new Map<StreamTopic, Entry[]>();
  private offset = 0;
  private readonly retryDelayMs: number;
  private readonly drainTimeoutMs: number;
  private readonly observer: StreamObserver;
  private readonly log: (message: string) => void;

  constructor(
    options: { retryDelayMs?: number; drainTimeoutMs?: number; observer?: StreamObserver; log?: (message: string) => void } = {},
  ) {
    this.log = options.log ?? (() => undefined);
    this.retryDelayMs = options.retryDelayMs ?? 200;
    this.drainTimeoutMs = options.drainTimeoutMs ?? 20_000;
    this.observer = options.observer ?? NO_OBSERVER;
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    for (const groups of this.groups.values()) for (const group of groups.values()) group.stopped = true;
    this.groups.clear();
  }

  async health(): Promise<StreamHealth> {
    return {
      reachable: true,
      consumers: [...this.groups.values()].flatMap((groups) => [...groups.values()].map((g) => ({ ...g.loop.health }))),
    };
  }

  async lag(): Promise<ConsumerLag[]> {
    return [...this.groups.entries()].flatMap(([topic, groups]) =>
      [...groups.entries()].map(([group, g]) => ({ group, topic, partition: 0, lag: g.queue.length })),
    );
  }

  publish<T extends StreamTopic>(topic: T, messages: StreamMessage<T>[]): Promise<void> {
    return this.append(
      topic,
      messages.map((m) => ({ key: m.key, text: JSON.stringify(m.value) })),
    );
  }

  /** Appends records as text, as a producer in another process could (the contract suite sends poison this way). */
  appendRaw(topic: StreamTopic, records: { key: string | null; text: string | null }[]): Promise<void> {
    return this.append(topic, records);
  }

  private append(topic: StreamTopic, records: { key: string | null; text: string | null }[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const raws = records.map((r): RawRecord => ({ ...r, partition: 0, offset: String(this.offset++) }));
    if (COMPACTED.has(topic)) {
      const latest = this.latestByKey.get(topic) ?? new Map<string, RawRecord>();
      this.latestByKey.set(topic, latest);
      for (const raw of raws) if (raw.key !== null) latest.set(raw.key, raw);
    }
    const groups = [...(this.groups.get(topic)?.values() ?? [])];
    const queues: Entry[][] = groups.map((g) => g.queue);
    // A processing topic keeps what nobody consumes yet; a compacted one replays its latest
    // records to groups that come later; a dead-letter topic nobody reads has nothing to wait for.
    if (queues.length === 0 && !COMPACTED.has(topic) && DEAD_LETTER_TOPIC[topic] !== null) {
      const waiting = this.unclaimed.get(topic) ?? [];
      this.unclaimed.set(topic, waiting);
      queues.push(waiting);
    }
    const processed = queues.map(
      (queue) =>
        new Promise<void>((resolve) => {
          raws.forEach((raw, i) => queue.push(i === raws.length - 1 ? { raw, settle: resolve } : { raw }));
        }),
    );
    for (const group of groups) this.drain(group);
    return Promise.all(processed).then(() => undefined);
  }

  async consume<T extends StreamTopic>(
    topic: T,
    groupId: string,
    handler: BatchHandler<T>,
    options: ConsumeOptions = {},
  ): Promise<StreamSubscription> {
    const groups = this.groups.get(topic) ?? new Map<string, Group>();
    this.groups.set(topic, groups);
    if (groups.has(groupId)) throw new Error(`in-process stream: group ${groupId} already consumes ${topic}`);
    const deadLetterTopic: DeadLetterTopic | null = DEAD_LETTER_TOPIC[topic];
    const deadLetter = deadLetterTopic ? (letters: StreamMessage<DeadLetterTopic>[]) => this.publish(deadLetterTopic, letters) : null;
    const loop = new ConsumerLoop(topic, groupId, topic, handler, options, deadLetter, this.log, this.observer, this.retryDelayMs);
    const group: Group = {
      queue: [],
      loop: loop as unknown as ConsumerLoop<StreamTopic>,
      draining: false,
      stopped: false,
      idle: Promise.resolve(),
    };
    if (options.fromBeginning) for (const raw of this.latestByKey.get(topic)?.values() ?? []) group.queue.push({ raw });
    for (const entry of this.unclaimed.get(topic)?.splice(0) ?? []) group.queue.push(entry);
    groups.set(groupId, group);
    this.drain(group);
    return {
      stop: async () => {
        // Whatever a publisher is still waiting on is handed over first, within a bound.
        const deadline = Date.now() + this.drainTimeoutMs;
        while (group.queue.length > 0 && Date.now() < deadline) await Promise.race([group.idle, new Promise((r) => setTimeout(r, 100))]);
        if (group.queue.length > 0) this.log(`${topic}: group ${groupId} stopped with ${group.queue.length} record(s) unprocessed`);
        group.stopped = true;
        groups.delete(groupId);
        await group.idle;
      },
    };
  }

  private drain(group: Group): void {
    if (group.draining || group.stopped || group.queue.length === 0) return;
    group.draining = true;
    group.idle = (async () => {
      while (!group.stopped && group.queue.length > 0) {
        const batch = group.queue.slice(0, MAX_BATCH);
        if (
          !(await group.loop.process(
            batch.map((e) => e.raw),
            { isRunning: () => !group.stopped },
          ))
        )
          continue;
        group.queue.splice(0, batch.length);
        for (const entry of batch) entry.settle?.();
      }
      group.draining = false;
    })();
  }
}
