import { Inject, Injectable, Logger } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import { isClosableByWatermark, isClosableWhenIdle, priceInterval, type PricingModel } from '@wattline/domain';
import { CatalogRepository, IntervalsRepository } from '@wattline/persistence';
import { CLOCK, CONFIG, type Clock } from '@wattline/platform';
import { TariffPublisherService } from '../pricing/tariff-publisher.service';

/**
 * Closes intervals whose time has come and prices them, once each, in steps that hold nothing
 * across each other: close (the sums at that moment are recorded), price every closed interval
 * that has no price yet from its recorded sums (in the domain), write the price to the outbox,
 * then publish after commit. A crash anywhere is picked up by the next pass. An interval closes
 * when its region's watermark (latest reading time) passes its end plus the allowed lateness,
 * or, when the region has gone quiet, when the wall clock does. Run by the scheduler only
 * (jobs/), never per batch.
 */
@Injectable()
export class IntervalCloserService {
  private readonly logger = new Logger(IntervalCloserService.name);
  private running: Promise<number> | null = null;
  private rerun = false;

  constructor(
    private readonly intervals: IntervalsRepository,
    private readonly catalog: CatalogRepository,
    private readonly publisher: TariffPublisherService,
    @Inject(CONFIG) private readonly config: WattlineConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Runs one pass; concurrent calls coalesce into one more pass after the current one. */
  closeDue(): Promise<number> {
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    this.running = (async () => {
      let closed = 0;
      do {
        this.rerun = false;
        closed += await this.closeDueOnce();
      } while (this.rerun);
      return closed;
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async closeDueOnce(): Promise<number> {
    const now = this.clock.now();
    const latenessMs = this.config.ALLOWED_LATENESS_SECONDS * 1000;
    const idleMs = this.config.IDLE_CLOSE_SECONDS * 1000;
    const due = (await this.intervals.openIntervals()).filter(
      (i) => isClosableByWatermark(i.intervalEnd, i.watermark, latenessMs) || isClosableWhenIdle(i.intervalEnd, latenessMs, i.lastArrivalAt, now, idleMs),
    );
    let closed = 0;
    for (const interval of due) if (await this.intervals.closeInterval(interval.regionId, interval.intervalStart, now)) closed += 1;
    await this.priceClosed(now);
    await this.publisher.publishPending();
    return closed;
  }

  /** Prices every closed interval still without a price, from the sums it was closed with. */
  private async priceClosed(now: number): Promise<void> {
    const pricing = new Map<string, PricingModel | null>();
    for (const aggregate of await this.intervals.closedUnpriced()) {
      if (!pricing.has(aggregate.regionId)) pricing.set(aggregate.regionId, (await this.catalog.getRegion(aggregate.regionId))?.pricing ?? null);
      const model = pricing.get(aggregate.regionId);
      if (!model) {
        this.logger.error(`region ${aggregate.regionId} has no pricing model; ${new Date(aggregate.intervalStart).toISOString()} left unpriced`);
        continue;
      }
      await this.intervals.insertTariff(priceInterval(aggregate, model), now);
    }
  }
}
