import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Aedes } from 'aedes';
import { mqttTopics, statusPayload } from '@wattline/contracts';
import { CatalogRepository } from '@wattline/persistence';
import { AEDES, publishFromBroker } from '../mqtt/broker-client';
import { BrokerState } from '../state/broker-state';
import { PriceFanoutService } from './price-fanout.service';

/** How often a broker with shared state looks whether Redis has come back empty. */
export const EMPTY_STATE_CHECK_MS = 1000;

/**
 * Retained prices, schedules, household summaries and devices' statuses are a cache of what
 * PostgreSQL holds. A broker keeping them in its own memory starts empty (and the all-in-one
 * process's in-process stream replays nothing after a restart): before any listener opens
 * (module init runs before the bootstrap hooks, where the listeners open) it publishes them again
 * from PostgreSQL. With shared state they live in Redis; a Redis that restarts empty (or is
 * flushed) loses them, and nothing would publish them again until each next announcement — a
 * display connecting then has no price. Every second each broker checks Redis's marker; the one
 * that finds it gone sets it again and republishes them, so a display connecting a second or two
 * later has a valid price.
 */
@Injectable()
export class RetainedRestore implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RetainedRestore');
  private timer: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(
    @Inject(AEDES) private readonly aedes: Aedes,
    private readonly state: BrokerState,
    private readonly fanout: PriceFanoutService,
    private readonly catalog: CatalogRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.state.shared) await this.restore('this broker keeps its retained messages in memory');
  }

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
      await this.restore('Redis held no broker state: it was empty or restarted');
    } catch (error) {
      // Claimed but not restored (the database away): give the claim up so the next check tries again.
      this.logger.warn(`retained messages not restored: ${(error as Error).message}`);
      await this.state.releaseEmptyState(this.aedes.id);
    } finally {
      this.checking = false;
    }
  }

  private async restore(why: string): Promise<void> {
    await this.fanout.restoreFromDatabase(why);
    const started = Date.now();
    let restored = 0;
    for (let after = ''; ;) {
      const page = await this.catalog.statusesPage(after, 5000);
      if (page.length === 0) break;
      for (const s of page)
        await publishFromBroker(this.aedes, {
          topic: mqttTopics.status(s.meterId),
          payload: Buffer.from(
            JSON.stringify(statusPayload({ meterId: s.meterId, state: s.online ? 'online' : 'offline', since: s.since })),
          ),
          qos: 1,
          retain: true,
        });
      restored += page.length;
      after = page[page.length - 1].meterId;
    }
    this.logger.log(`${restored} device status(es) restored from the database in ${Date.now() - started} ms (${why})`);
  }
}
