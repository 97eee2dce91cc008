import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import Redis from 'ioredis';
import type { WattlineConfig } from '@wattline/config';
import { CONFIG } from '@wattline/platform';
import { IntervalCloserService } from '../windows/interval-closer.service';
import { JOB_QUEUE, JobName } from './job-name';

const TICK_MS = 1000;

/**
 * Runs interval closing (and the tariff outbox) every second. With REDIS_URL it is a BullMQ
 * job scheduler: one job per tick for the whole cluster, taken by one aggregator replica,
 * so replicas do not race each other for it. Without Redis an in-process timer runs the same
 * handler. Either way the closing itself is exactly-once (a guarded UPDATE in PostgreSQL).
 */
@Injectable()
export class IntervalSchedulerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IntervalSchedulerService.name);
  private readonly handlers: Record<JobName, () => Promise<unknown>>;
  private timer: NodeJS.Timeout | null = null;
  private queue: Queue | null = null;
  private worker: Worker | null = null;
  private connections: Redis[] = [];

  constructor(
    private readonly closer: IntervalCloserService,
    @Inject(CONFIG) private readonly config: WattlineConfig,
  ) {
    this.handlers = { [JobName.CloseDueIntervals]: () => this.closer.closeDue() };
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
      const redis = new Redis(this.config.REDIS_URL!, { maxRetriesPerRequest: null });
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
    await this.queue.upsertJobScheduler(JobName.CloseDueIntervals, { every: TICK_MS }, { name: JobName.CloseDueIntervals });
    this.logger.log(`interval closing scheduled through BullMQ (${JOB_QUEUE})`);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.worker?.close();
    await this.queue?.close();
    await Promise.allSettled(this.connections.map((c) => c.quit()));
    await this.closer.closeDue().catch(() => undefined);
  }

  private async run(name: JobName): Promise<void> {
    try {
      await this.handlers[name]();
    } catch (error) {
      this.logger.error(`${name} failed: ${(error as Error).message}`);
    }
  }
}
