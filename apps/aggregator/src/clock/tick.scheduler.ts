import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import Redis from 'ioredis';
import type { WattlineConfig } from '@wattline/config';
import { CONFIG, RESILIENT_REDIS, watchRedis } from '@wattline/platform';
import { ClockService } from './clock.service';
import { JOB_QUEUE, JobName } from './job-name';

const TICK_MS = 1000;

/**
 * The one trigger of the clock's pass (clock.service.ts): a tick every second. With REDIS_URL it is a BullMQ job scheduler, one job per tick for the whole
 * cluster, taken by one aggregator replica; without Redis an in-process timer runs the same
 * handler. Readings batches do not close intervals: that would run the close once per batch
 * on every replica and put it in the path of every store. Either way the closing itself is
 * exactly-once (a guarded UPDATE in PostgreSQL, serialised with stores of the region).
 */
@Injectable()
export class TickScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TickScheduler.name);
  private readonly handlers: Record<JobName, () => Promise<unknown>>;
  private timer: NodeJS.Timeout | null = null;
  private queue: Queue | null = null;
  private worker: Worker | null = null;
  private connections: Redis[] = [];

  constructor(
    private readonly clock: ClockService,
    @Inject(CONFIG) private readonly config: WattlineConfig,
  ) {
    this.handlers = { [JobName.CloseDueIntervals]: () => this.clock.pass() };
    const missing = Object.values(JobName).filter((name) => !(name in this.handlers));
    if (missing.length > 0) throw new Error(`jobs without a handler: ${missing.join(', ')}`);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.REDIS_URL) {
      this.timer = setInterval(() => void this.run(JobName.CloseDueIntervals), TICK_MS);
      return;
    }
    // BullMQ needs blocking connections that never give up on a command.
    const connection = () => {
      const redis = watchRedis(new Redis(this.config.REDIS_URL!, { ...RESILIENT_REDIS, maxRetriesPerRequest: null }), 'jobs', (m) =>
        this.logger.warn(m),
      );
      this.connections.push(redis);
      return redis;
    };
    this.queue = new Queue(JOB_QUEUE, { connection: connection(), defaultJobOptions: { removeOnComplete: 100, removeOnFail: 1000 } });
    this.worker = new Worker(
      JOB_QUEUE,
      async (job) => {
        const handler = this.handlers[job.name as JobName];
        if (!handler) throw new UnrecoverableError(`no handler for job ${job.name}`); // not retried
        await handler();
      },
      { connection: connection(), concurrency: 1 },
    );
    this.worker.on('failed', (job, error) => this.logger.error(`job ${job?.name} failed: ${error.message}`));
    // Redis going away surfaces here; BullMQ reconnects through ioredis and carries on.
    this.worker.on('error', (error) => this.logger.debug(`job worker: ${error.message}`));
    this.queue.on('error', (error) => this.logger.debug(`job queue: ${error.message}`));
    await this.queue.upsertJobScheduler(JobName.CloseDueIntervals, { every: TICK_MS }, { name: JobName.CloseDueIntervals });
    this.logger.log(`interval closing scheduled through BullMQ (${JOB_QUEUE})`);
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
    await this.clock.pass().catch(() => undefined);
  }

  private async run(name: JobName): Promise<void> {
    try {
      await this.handlers[name]();
    } catch (error) {
      this.logger.error(`${name} failed: ${(error as Error).message}`);
    }
  }
}
