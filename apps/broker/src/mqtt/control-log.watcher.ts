import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ControlLogRepository } from '@wattline/persistence';
import { CLOCK, CONTROL_BUS, type Clock, type ControlBus } from '@wattline/platform';
import { CREDENTIAL_CACHE_TTL_MS } from '../state/credential-cache';

/** How often the control log is read. */
export const CONTROL_LOG_POLL_MS = 1000;
const PAGE = 500;
/** Entries are kept a day (a broker starting reads the last 10 minutes), pruned once an hour by whichever broker gets there. */
const KEEP_MS = 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Reads the control log (PostgreSQL) every second and hands each new entry to this broker's
 * control handlers (revocation.hook.ts, credential-change.hook.ts), as the push on the control
 * bus does. The push is the fast path but fire-and-forget: Redis pub/sub delivers only to whoever
 * listens at that moment, and without REDIS_URL the API's push stays in the API's process. The
 * log is what a revocation cannot miss: within a second of its commit every broker has dropped the
 * credential from its cache and closed its connections. Handling an entry twice (pushed, then
 * read) changes nothing. Starting, a broker reads the entries still inside the credential cache's
 * lifetime, so one that was down during a revocation does not trust a shared cache entry from before it.
 */
@Injectable()
export class ControlLogWatcher implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ControlLog');
  private last: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reading: Promise<void> | null = null;
  private failing = false;
  private prunedAt = -Infinity;

  constructor(
    private readonly log: ControlLogRepository,
    @Inject(CONTROL_BUS) private readonly control: ControlBus,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Before any listener opens (those open at bootstrap): no device connects on a cache older than the log. */
  async onModuleInit(): Promise<void> {
    await this.read();
    this.timer = setInterval(() => void this.read(), CONTROL_LOG_POLL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One read at a time; a failure (the database away) is said once and retried on the next tick. */
  read(): Promise<void> {
    this.reading ??= this.readOnce().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  private async readOnce(): Promise<void> {
    try {
      this.last ??= await this.log.startAfter(this.clock.now() - CREDENTIAL_CACHE_TTL_MS);
      for (;;) {
        const entries = await this.log.after(this.last, PAGE);
        for (const entry of entries) {
          this.control.deliverLocally({ type: entry.type, username: entry.username, at: entry.at });
          this.last = entry.seq;
        }
        if (entries.length < PAGE) break;
      }
      if (this.clock.now() - this.prunedAt >= PRUNE_EVERY_MS) {
        this.prunedAt = this.clock.now();
        await this.log.prune(this.prunedAt - KEEP_MS);
      }
      if (this.failing) this.logger.log('control log readable again');
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.logger.warn(`control log unreadable, retried every ${CONTROL_LOG_POLL_MS} ms: ${(error as Error).message}`);
      this.failing = true;
    }
  }
}
