import { Inject, Injectable, Logger } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import { isClosableByWatermark, isClosableWhenIdle, priceInterval, type PricingModel } from '@wattline/domain';
import { CatalogRepository, IntervalsRepository } from '@wattline/persistence';
import { CLOCK, CONFIG, type Clock } from '@wattline/platform';
import { TariffPublisherService } from '../pricing/tariff-publisher.service';

/**
 * Closes intervals whose time has come and prices them, once each. An interval closes when
 * its region's watermark (latest reading time) passes its end plus the allowed lateness,
 * or, when the region has gone quiet, when the wall clock does.
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
      (i) =>
        isClosableByWatermark(i.intervalEnd, i.watermark, latenessMs) ||
        isClosableWhenIdle(i.intervalEnd, latenessMs, i.lastArrivalAt, now, idleMs),
    );
    const pricing = new Map<string, PricingModel | null>();
    let closed = 0;
    for (const interval of due) {
      if (!pricing.has(interval.regionId)) pricing.set(interval.regionId, (await this.catalog.getRegion(interval.regionId))?.pricing ?? null);
      const model = pricing.get(interval.regionId);
      if (!model) {
        this.logger.error(`region ${interval.regionId} has readings but no pricing model; interval left open`);
        continue;
      }
      const tariff = await this.intervals.closeAndPrice(interval.regionId, interval.intervalStart, now, (aggregate) =>
        priceInterval(aggregate, model),
      );
      if (tariff) closed += 1;
    }
    await this.publisher.publishPending();
    return closed;
  }
}
