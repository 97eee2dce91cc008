import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import type { WattlineConfig } from '@wattline/config';
import type { DataSource } from 'typeorm';
import { CONFIG, DATA_SOURCE, connectRedis, type RedisConnection } from '@wattline/platform';
import { ClockService } from './clock.service';
import { JOB_QUEUE, JobName } from './job-name';

const TICK_MS = 1000;
/**
 * BullMQ's key prefix, a hash tag: its scripts touch several keys of a queue at once, which a
 * Redis Cluster allows only within one slot (BullMQ's guide, "Redis Cluster").
 */
const JOB_PREFIX = '{wattline}';

/** How long shutdown waits for its last pass (the app's grace is 30 s by default, and the stream and database close after). */
const LAST_PASS_WITHIN_MS = 5_000;

/** The PostgreSQL advisory lock whose holder runs the local tick's pass (any bigint; this one spells the clock). */
export const CLOCK_LOCK = 7_238_001;

/**
 * The one trigger of the clock's pass (clock.service.ts): a tick every second. With REDIS_URL it
 * is a BullMQ job scheduler, one job per tick for the whole cluster, taken by one aggregator
 * replica. Without Redis — none configured, or Redis away (its connections not ready) — a local
 * timer ticks instead, and the replica holding a PostgreSQL advisory lock (CLOCK_LOCK, taken per
 * tick) runs the pass: so prices move at their validTo and intervals close whatever happens to
 * Redis, and several replicas do not all run it. Readings batches do not close intervals: that
 * would run the close once per batch on every replica and put it in the path of every store.
 * Either way the closing itself is exactly-once (a guarded UPDATE in PostgreSQL, serialised with
 * stores of the region).
 */
@Injectable()
export class TickScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TickScheduler.name);
  private readonly handlers: Record<JobName, () => Promise<unknown>>;
  private timer: NodeJS.Timeout | null = null;
  private queue: Queue | null = null;
  private worker: Worker | null = null;
  private connections: RedisConnection[] = [];
  private localRunning = false;
  private redisAwaySaid = false;

  constructor(
    private readonly clock: ClockService,
    @Inject(CONFIG) private readonly config: WattlineConfig,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
  ) {
    this.handlers = { [JobName.CloseDueIntervals]: () => this.clock.pass() };
    const missing = Object.values(JobName).filter((name) => !(name in this.handlers));
    if (missing.length > 0) throw new Error(`jobs without a handler: ${missing.join(', ')}`);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.timer = setInterval(() => void this.localTick(), TICK_MS);
    if (!this.config.REDIS_URL) return;
    // BullMQ needs blocking connections that never give up on a command.
    const connection = () => {
      const redis = connectRedis(this.config.REDIS_URL!, 'jobs', (m) => this.logger.warn(m), { maxRetriesPerRequest: null });
      this.connections.push(redis);
      return redis;
    };
    const queueConnection = connection();
    this.queue = new Queue(JOB_QUEUE, {
      connection: queueConnection,
      prefix: JOB_PREFIX,
      defaultJobOptions: { removeOnComplete: 100, removeOnFail: 1000 },
    });
    this.worker = new Worker(
      JOB_QUEUE,
      async (job) => {
        const handler = this.handlers[job.name as JobName];
        if (!handler) throw new UnrecoverableError(`no handler for job ${job.name}`); // not retried
        await handler();
      },
      { connection: connection(), prefix: JOB_PREFIX, concurrency: 1 },
    );
    this.worker.on('failed', (job, error) => this.logger.error(`job ${job?.name} failed: ${error.message}`));
    // Redis going away surfaces here; BullMQ reconnects through ioredis and carries on.
    this.worker.on('error', (error) => this.logger.debug(`job worker: ${error.message}`));
    this.queue.on('error', (error) => this.logger.debug(`job queue: ${error.message}`));
    await this.schedule();
    // A Redis that comes back empty has lost the job scheduler with everything else: it is put back on every reconnect
    // (idempotent), or BullMQ would be "ready" and tick nothing.
    queueConnection.on(
      'ready',
      () => void this.schedule().catch((error: Error) => this.logger.warn(`tick not rescheduled: ${error.message}`)),
    );
    this.logger.log(`interval closing scheduled through BullMQ (${JOB_QUEUE})`);
  }

  private async schedule(): Promise<void> {
    await this.queue?.upsertJobScheduler(JobName.CloseDueIntervals, { every: TICK_MS }, { name: JobName.CloseDueIntervals });
  }

  /**
   * Runs a pass now, in this process, instead of at the next tick: called when a region's event
   * time enters a new interval, so the price in force moves with the readings (a replay at any
   * speed), not up to a second later. Coalesces with a pass already running.
   */
  nudge(): void {
    void this.run(JobName.CloseDueIntervals);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.worker?.close();
    await this.queue?.close();
    await Promise.allSettled(this.connections.map((c) => c.quit()));
    // A last pass publishes what the outbox holds, within a bound: under a backlog its closing
    // waits on each region's lock behind every replica's reading stores, and once took the
    // whole 30 s grace (dependency-outages, SIGTERM just after a Kafka stall). Nothing is lost
    // by cutting it short: its transaction rolls back, and the rows it would have closed or
    // published stay in PostgreSQL for the next pass of any replica.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), LAST_PASS_WITHIN_MS)));
    const outcome = await Promise.race([
      this.clock.pass().then(
        () => 'done' as const,
        () => 'done' as const,
      ),
      late,
    ]);
    clearTimeout(timer);
    if (outcome === 'late')
      this.logger.warn(`the last pass did not finish within ${LAST_PASS_WITHIN_MS / 1000} s; the next replica's pass takes it up`);
  }

  /** The local timer's tick: only while BullMQ cannot tick (no Redis, or Redis away), and only on the replica holding the lock. */
  private async localTick(): Promise<void> {
    if (this.localRunning) return;
    if (this.connections.length > 0 && this.connections.every((c) => c.status === 'ready')) return;
    this.localRunning = true;
    const session = this.dataSource.createQueryRunner();
    try {
      await session.connect();
      const [{ locked }] = (await session.query(`SELECT pg_try_advisory_lock($1) AS locked`, [CLOCK_LOCK])) as { locked: boolean }[];
      if (!locked) return; // another replica runs this tick
      try {
        if (this.connections.length > 0 && !this.redisAwaySaid) {
          this.redisAwaySaid = true;
          this.logger.warn('Redis away: the clock ticks locally under a PostgreSQL advisory lock until BullMQ ticks again');
        }
        await this.run(JobName.CloseDueIntervals);
      } finally {
        await session.query(`SELECT pg_advisory_unlock($1)`, [CLOCK_LOCK]);
      }
    } catch (error) {
      this.logger.warn(`local tick skipped: ${(error as Error).message}`);
    } finally {
      await session.release();
      this.localRunning = false;
      if (this.connections.every((c) => c.status === 'ready')) this.redisAwaySaid = false;
    }
  }

  private async run(name: JobName): Promise<void> {
    try {
      await this.handlers[name]();
    } catch (error) {
      this.logger.error(`${name} failed: ${(error as Error).message}`);
    }
  }
}
