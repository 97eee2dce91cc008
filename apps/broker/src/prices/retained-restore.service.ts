import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Aedes } from 'aedes';
import { AEDES } from '../mqtt/broker-client';
import { BrokerState } from '../state/broker-state';
import { PriceFanoutService } from './price-fanout.service';

/** How often a broker with shared state looks whether Redis has come back empty. */
export const EMPTY_STATE_CHECK_MS = 1000;

/**
 * Retained prices, schedules and household summaries are a cache of what PostgreSQL holds. With
 * shared state they live in Redis; a Redis that restarts empty (or is flushed) loses them, and
 * nothing would publish them again until each next announcement — a display connecting then has
 * no price. Every second each broker checks Redis's marker; the one that finds it gone sets it
 * again and republishes the newest stored announcements (PriceFanoutService.restoreFromDatabase),
 * so a display connecting a second or two later has a valid price.
 */
@Injectable()
export class RetainedRestore implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RetainedRestore');
  private timer: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(
    @Inject(AEDES) private readonly aedes: Aedes,
    private readonly state: BrokerState,
    private readonly fanout: PriceFanoutService,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.state.shared) return;
    void this.check();
    this.timer = setInterval(() => void this.check(), EMPTY_STATE_CHECK_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async check(): Promise<void> {
    if (this.checking || this.aedes.closed) return;
    this.checking = true;
    try {
      if (!(await this.state.claimEmptyState(this.aedes.id))) return;
      await this.fanout.restoreFromDatabase('Redis held no broker state: it was empty or restarted');
    } catch (error) {
      // Claimed but not restored (the database away): give the claim up so the next check tries again.
      this.logger.warn(`retained messages not restored: ${(error as Error).message}`);
      await this.state.releaseEmptyState(this.aedes.id);
    } finally {
      this.checking = false;
    }
  }
}
