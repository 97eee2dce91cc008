import type { StreamTopic } from '@wattline/contracts';
import type { BatchHandler, ConsumeOptions, StreamMessage, StreamPayloads, StreamPort, StreamSubscription } from './stream.port';

const MAX_BATCH = 500;
/** Topics whose latest record per key is kept and replayed to new groups (Kafka: compacted). */
const COMPACTED: ReadonlySet<StreamTopic> = new Set(['tariffs', 'status']);

interface Group<T extends StreamTopic> {
  queue: StreamPayloads[T][];
  handler: BatchHandler<T>;
  draining: boolean;
  stopped: boolean;
  idle: Promise<void>;
}

/**
 * The embedded default: one process, no Kafka. Each consumer group gets its own in-memory
 * queue, drained in order one batch at a time; a failed batch is retried after a pause,
 * as Kafka would redeliver it. Records survive nothing but the process.
 */
export class InProcessStream implements StreamPort {
  readonly kind = 'in-process' as const;
  private readonly groups = new Map<StreamTopic, Map<string, Group<StreamTopic>>>();
  private readonly latestByKey = new Map<StreamTopic, Map<string, unknown>>();
  private readonly retryDelayMs: number;

  constructor(options: { retryDelayMs?: number } = {}) {
    this.retryDelayMs = options.retryDelayMs ?? 500;
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    for (const groups of this.groups.values()) for (const group of groups.values()) group.stopped = true;
    this.groups.clear();
  }

  async healthy(): Promise<boolean> {
    return true;
  }

  async publish<T extends StreamTopic>(topic: T, messages: StreamMessage<T>[]): Promise<void> {
    if (COMPACTED.has(topic)) {
      const latest = this.latestByKey.get(topic) ?? new Map<string, unknown>();
      this.latestByKey.set(topic, latest);
      for (const message of messages) latest.set(message.key, message.value);
    }
    for (const group of this.groups.get(topic)?.values() ?? []) {
      group.queue.push(...messages.map((m) => m.value));
      this.drain(group);
    }
  }

  async consume<T extends StreamTopic>(
    topic: T,
    groupId: string,
    handler: BatchHandler<T>,
    options: ConsumeOptions = {},
  ): Promise<StreamSubscription> {
    const groups = this.groups.get(topic) ?? new Map<string, Group<StreamTopic>>();
    this.groups.set(topic, groups);
    if (groups.has(groupId)) throw new Error(`in-process stream: group ${groupId} already consumes ${topic}`);
    const group: Group<T> = { queue: [], handler, draining: false, stopped: false, idle: Promise.resolve() };
    if (options.fromBeginning) {
      group.queue.push(...((this.latestByKey.get(topic)?.values() ?? []) as Iterable<StreamPayloads[T]>));
    }
    groups.set(groupId, group as unknown as Group<StreamTopic>);
    this.drain(group);
    return {
      stop: async () => {
        group.stopped = true;
        groups.delete(groupId);
        await group.idle;
      },
    };
  }

  private drain<T extends StreamTopic>(group: Group<T>): void {
    if (group.draining || group.stopped || group.queue.length === 0) return;
    group.draining = true;
    group.idle = (async () => {
      while (!group.stopped && group.queue.length > 0) {
        const batch = group.queue.slice(0, MAX_BATCH);
        try {
          await group.handler(batch);
          group.queue.splice(0, batch.length);
        } catch {
          // The handler logs its own failure; redeliver the same batch after a pause.
          await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs));
        }
      }
      group.draining = false;
    })();
  }
}
