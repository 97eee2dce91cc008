import { decodeStreamRecord, type DeadLetterRecord, type DeadLetterTopic, type PoisonReason, type StreamTopic } from '@wattline/contracts';
import type { BatchHandler, ConsumeOptions, ConsumerHealth, StreamMessage, StreamObserver, StreamPayloads } from './stream.port';

/** A record as it comes off the stream, before decoding. */
export interface RawRecord {
  key: string | null;
  text: string | null;
  partition: number;
  offset: string;
}

export interface LoopContext {
  /** False once the consumer is stopping or lost the partition: stop retrying, commit nothing. */
  isRunning(): boolean;
  /** Kafka: keep the group membership alive while waiting. */
  heartbeat?(): Promise<void>;
}

const MAX_BACKOFF_MS = 10_000;
const backoff = (attempt: number, baseMs: number) => Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.min(attempt, 16));

/**
 * What both adapters do with a batch, so they behave alike (the contract suite proves it):
 * decode and schema-check each record, dead-letter the ones that fail with their position
 * and reason, hand the rest to the handler, wait out transient failures with back-off, and
 * isolate the records a handler rejects for good.
 */
export class ConsumerLoop<T extends StreamTopic> {
  readonly health: ConsumerHealth;
  /** The last handler failure, for health and for an `unprocessable` dead letter's detail. */
  private lastError = '';

  constructor(
    private readonly topic: T,
    group: string,
    /** The stream-level name of the topic (Kafka: with its prefix), for dead letters. */
    private readonly topicName: string,
    private readonly handler: BatchHandler<T>,
    private readonly options: ConsumeOptions,
    /** Publishes to the topic's dead-letter topic; null for a dead-letter topic itself. */
    private readonly deadLetter: ((messages: StreamMessage<DeadLetterTopic>[]) => Promise<void>) | null,
    private readonly log: (message: string) => void,
    private readonly observer: StreamObserver,
    private readonly retryBaseMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.health = { topic, group, state: 'running', since: now() };
  }

  /** True when every record was handled or dead-lettered (commit); false when stopped first (do not). */
  async process(records: RawRecord[], context: LoopContext): Promise<boolean> {
    const good: { raw: RawRecord; value: StreamPayloads[T] }[] = [];
    const poison: { raw: RawRecord; reason: PoisonReason; detail: string }[] = [];
    for (const raw of records) {
      const decoded = decodeStreamRecord<StreamPayloads[T]>(this.topic, raw.text);
      if (decoded.ok) good.push({ raw, value: decoded.value });
      else poison.push({ raw, reason: decoded.reason, detail: decoded.detail });
    }
    if (poison.length > 0 && !(await this.sendToDeadLetter(poison, context))) return false;
    if (good.length === 0) return true;
    const outcome = await this.attempt(() => this.handler(good.map((g) => g.value)), context);
    if (outcome !== 'permanent') return outcome === 'done';
    // The batch holds at least one record the handler will never take: find it, one at a time.
    for (const record of good) {
      const single = await this.attempt(() => this.handler([record.value]), context);
      if (single === 'stopped') return false;
      if (
        single === 'permanent' &&
        !(await this.sendToDeadLetter([{ raw: record.raw, reason: 'unprocessable', detail: this.lastError }], context))
      )
        return false;
    }
    return true;
  }

  /** Runs `work` until it succeeds, fails for good, or the consumer stops. */
  private async attempt(
    work: () => Promise<void>,
    context: LoopContext,
    isTransient: (error: unknown) => boolean = this.options.isTransient ?? (() => true),
  ): Promise<'done' | 'permanent' | 'stopped'> {
    for (let attempt = 0; ; attempt++) {
      if (!context.isRunning()) return 'stopped';
      try {
        await work();
        if (this.health.state !== 'running') Object.assign(this.health, { state: 'running', since: this.now(), lastError: undefined });
        return 'done';
      } catch (error) {
        this.lastError = (error as Error)?.message ?? String(error);
        if (!isTransient(error)) return 'permanent';
        if (this.health.state !== 'retrying') Object.assign(this.health, { state: 'retrying', since: this.now() });
        this.health.lastError = this.lastError;
        this.observer.retried(this.topic, this.health.group);
        await sleepWhileRunning(backoff(attempt, this.retryBaseMs), context);
      }
    }
  }

  private async sendToDeadLetter(
    records: { raw: RawRecord; reason: PoisonReason; detail: string }[],
    context: LoopContext,
  ): Promise<boolean> {
    const receivedAt = this.now();
    const letters = records.map(({ raw, reason, detail }) => {
      const value: DeadLetterRecord = {
        ...(this.topic === 'tariffs' || raw.key === null ? {} : { meterId: raw.key }),
        topic: this.topicName,
        error: reason,
        detail,
        payload: raw.text ?? '',
        receivedAt,
        source: { topic: this.topicName, partition: raw.partition, offset: raw.offset, key: raw.key },
      };
      return { key: raw.key ?? '', value };
    });
    const deadLetter = this.deadLetter;
    if (!deadLetter) {
      for (const { raw, reason, detail } of records) {
        this.log(
          `${this.topicName} ${raw.partition}@${raw.offset} cannot be read (${reason}: ${detail}); a dead-letter topic has no dead letters of its own`,
        );
        this.observer.deadLettered(this.topic, reason);
      }
      return true;
    }
    // The dead-letter topic being unreachable is an outage like any other: wait, never skip.
    if (
      (await this.attempt(
        () => deadLetter(letters),
        context,
        () => true,
      )) !== 'done'
    )
      return false;
    for (const { reason } of records) this.observer.deadLettered(this.topic, reason);
    return true;
  }
}

async function sleepWhileRunning(ms: number, context: LoopContext): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until && context.isRunning()) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(500, until - Date.now())));
    await context.heartbeat?.().catch(() => undefined);
  }
}
