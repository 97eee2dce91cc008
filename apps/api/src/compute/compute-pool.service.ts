import { existsSync } from 'node:fs';
import path from 'node:path';
import { Inject, Injectable, Logger, ServiceUnavailableException, type OnModuleDestroy } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import { DomainError, type DomainErrorCode } from '@wattline/domain';
import { CONFIG } from '@wattline/platform';
import { Piscina } from 'piscina';
import { COMPUTE_TASKS, type ComputeTaskName } from './compute.tasks';

type TaskOutcome = { ok: true; value: unknown } | { ok: false; code: DomainErrorCode; message: string; details: Record<string, unknown> };

/** Refused because the pool's queue is full: a 503 the client may retry after `retryAfterSeconds`. */
export class ComputeBusy extends ServiceUnavailableException {
  readonly retryAfterSeconds = 5;
  constructor(queued: number) {
    super(`${queued} bills or simulations are already waiting to be computed; retry in a few seconds`);
  }
}

/**
 * Runs the API's CPU-heavy work (bills, simulations) on worker threads (piscina), so that in a
 * process the API shares with the broker a year's bill does not hold a meter's PUBACK: the event
 * loop only reads the rows and sends them over. `API_COMPUTE_THREADS=0` computes on the main
 * thread, as does code run from TypeScript sources (unit and integration tests), where no
 * compiled worker file exists. The queue is bounded: past it a request is refused with a 503
 * and Retry-After, not queued without end.
 */
@Injectable()
export class ComputePool implements OnModuleDestroy {
  private readonly logger = new Logger('ComputePool');
  private readonly pool: Piscina | null;

  constructor(@Inject(CONFIG) config: WattlineConfig) {
    const filename = path.join(__dirname, 'compute.worker.js');
    const threads = config.API_COMPUTE_THREADS;
    this.pool =
      threads > 0 && existsSync(filename)
        ? new Piscina({ filename, minThreads: 0, maxThreads: threads, idleTimeout: 30_000, maxQueue: threads * 16 })
        : null;
    if (threads > 0 && !this.pool) this.logger.log(`no compiled worker at ${filename}: computing on the main thread`);
  }

  async run<N extends ComputeTaskName>(
    name: N,
    input: Parameters<(typeof COMPUTE_TASKS)[N]>[0],
  ): Promise<ReturnType<(typeof COMPUTE_TASKS)[N]>> {
    type Result = ReturnType<(typeof COMPUTE_TASKS)[N]>;
    if (!this.pool) return (COMPUTE_TASKS[name] as (input: unknown) => Result)(input);
    if (this.pool.queueSize >= this.pool.options.maxQueue) throw new ComputeBusy(this.pool.queueSize);
    const outcome = (await this.pool.run({ name, input })) as TaskOutcome;
    if (!outcome.ok) throw new DomainError(outcome.code, outcome.message, outcome.details);
    return outcome.value as Result;
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool?.destroy();
  }
}
