import { DEAD_LETTER_TOPIC, type DeadLetterTopic, type StreamTopic } from '@wattline/contracts';
import { ConsumerLoop, type RawRecord } from './consumer-loop';
import type { BatchHandler, ConsumeOptions, StreamHealth, StreamMessage, StreamObserver, StreamPort, StreamSubscription } from './stream.port';

const MAX_BATCH = 500;
/** Topics whose latest record per key is kept and replayed to new groups (Kafka: compacted). */
const COMPACTED: ReadonlySet<StreamTopic> = new Set(['tariffs', 'status']);

interface Group {
  queue: RawRecord[];
  loop: ConsumerLoop<StreamTopic>;
  draining: boolean;
  stopped: boolean;
  idle: Promise<void>;
}

const NO_OBSERVER: StreamObserver = { deadLettered: () => undefined, retried: () => undefined };

/**
 * The embedded default: one process, no Kafka. Records are kept as JSON text, as on Kafka,
 * and each consumer group gets its own queue, drained in order one batch at a time through
 * the same loop as the Kafka adapter's (schema check, dead letters, back-off). Records
 * published before any group consumes a topic wait for the first group. Records survive
 * nothing but the process: a subscription that stops hands over its queue first.
 */
export class InProcessStream implements StreamPort {
  readonly kind = 'in-process' as const;
  private readonly groups = new Map<StreamTopic, Map<string, Group>>();
  private readonly latestByKey = new Map<StreamTopic, Map<string, RawRecord>>();
  /** Records of a topic no group consumes yet (the first group to come takes them). */
  private readonly unclaimed = new Map<StreamTopic, RawRecord[]>();
  private offset = 0;
  private readonly retryDelayMs: number;
  private readonly drainTimeoutMs: number;
  private readonly observer: StreamObserver;
  private readonly log: (message: string) => void;

  constructor(options: { retryDelayMs?: number; drainTimeoutMs?: number; observer?: StreamObserver; log?: (message: string) => void } = {}) {
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
    return { reachable: true, consumers: [...this.groups.values()].flatMap((groups) => [...groups.values()].map((g) => ({ ...g.loop.health }))) };
  }

  async publish<T extends StreamTopic>(topic: T, messages: StreamMessage<T>[]): Promise<void> {
    this.append(topic, messages.map((m) => ({ key: m.key, text: JSON.stringify(m.value) })));
  }

  /** Appends records as text, as a producer in another process could (the contract suite sends poison this way). */
  appendRaw(topic: StreamTopic, records: { key: string | null; text: string | null }[]): void {
    this.append(topic, records);
  }

  private append(topic: StreamTopic, records: { key: string | null; text: string | null }[]): void {
    const raws = records.map((r): RawRecord => ({ ...r, partition: 0, offset: String(this.offset++) }));
    if (COMPACTED.has(topic)) {
      const latest = this.latestByKey.get(topic) ?? new Map<string, RawRecord>();
      this.latestByKey.set(topic, latest);
      for (const raw of raws) if (raw.key !== null) latest.set(raw.key, raw);
    }
    const groups = this.groups.get(topic);
    if (!groups || groups.size === 0) {
      if (!COMPACTED.has(topic)) {
        const waiting = this.unclaimed.get(topic) ?? [];
        this.unclaimed.set(topic, waiting);
        for (const raw of raws) waiting.push(raw);
      }
      return;
    }
    for (const group of groups.values()) {
      for (const raw of raws) group.queue.push(raw);
      this.drain(group);
    }
  }

  async consume<T extends StreamTopic>(topic: T, groupId: string, handler: BatchHandler<T>, options: ConsumeOptions = {}): Promise<StreamSubscription> {
    const groups = this.groups.get(topic) ?? new Map<string, Group>();
    this.groups.set(topic, groups);
    if (groups.has(groupId)) throw new Error(`in-process stream: group ${groupId} already consumes ${topic}`);
    const deadLetterTopic: DeadLetterTopic | null = DEAD_LETTER_TOPIC[topic];
    const deadLetter = deadLetterTopic ? (letters: StreamMessage<DeadLetterTopic>[]) => this.publish(deadLetterTopic, letters) : null;
    const loop = new ConsumerLoop(topic, groupId, topic, handler, options, deadLetter, this.log, this.observer, this.retryDelayMs);
    const group: Group = { queue: [], loop: loop as unknown as ConsumerLoop<StreamTopic>, draining: false, stopped: false, idle: Promise.resolve() };
    if (options.fromBeginning) for (const raw of this.latestByKey.get(topic)?.values() ?? []) group.queue.push(raw);
    for (const raw of this.unclaimed.get(topic)?.splice(0) ?? []) group.queue.push(raw);
    groups.set(groupId, group);
    this.drain(group);
    return {
      stop: async () => {
        // Hand over what this group holds (acknowledged readings live only here), within a bound.
        const deadline = Date.now() + this.drainTimeoutMs;
        while (group.queue.length > 0 && Date.now() < deadline) await Promise.race([group.idle, new Promise((r) => setTimeout(r, 100))]);
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
        if (await group.loop.process(batch, { isRunning: () => !group.stopped })) group.queue.splice(0, batch.length);
      }
      group.draining = false;
    })();
  }
}
