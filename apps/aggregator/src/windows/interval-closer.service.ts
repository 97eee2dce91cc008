import { Inject, Injectable, Logger } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import { expostOutcome, isClosableByWatermark, isClosableWhenIdle, versionInForce, type PricingVersion } from '@wattline/domain';
import { IntervalsRepository, PricingRepository } from '@wattline/persistence';
import { CLOCK, CONFIG, type Clock } from '@wattline/platform';
import { AnnouncementPublisherService } from '../pricing/announcement-publisher.service';
import { HouseholdSummaryService } from '../pricing/household-summary.service';
import { PriceSchedulerService } from '../pricing/price-scheduler.service';
import { TariffPublisherService } from '../pricing/tariff-publisher.service';

/**
 * One pass of the aggregator's clock, in steps that hold nothing across each other: close the
 * intervals whose time has come (the sums at that moment are recorded) and record what each
 * turned out to be (measured utilisation, the level it would have had); price ahead (day-ahead
 * schedules at the cut-off, intraday, the price in force); then publish the outboxes after
 * commit. A crash anywhere is picked up by the next pass. An interval closes when its region's
 * watermark (latest reading time) passes its end plus the allowed lateness, or, when the region
 * has gone quiet, when the wall clock does. Run by the scheduler only (jobs/).
 */
@Injectable()
export class IntervalCloserService {
  private readonly logger = new Logger(IntervalCloserService.name);
  private running: Promise<number> | null = null;
  private rerun = false;

  constructor(
    private readonly intervals: IntervalsRepository,
    private readonly pricing: PricingRepository,
    private readonly prices: PriceSchedulerService,
    private readonly publisher: TariffPublisherService,
    private readonly announcements: AnnouncementPublisherService,
    private readonly households: HouseholdSummaryService,
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
    // The regions' clocks as they are before closing: pricing then sees every interval those
    // clocks make closable already closed (readings arriving meanwhile wait for the next pass).
    const clocks = await this.pricing.regionStates();
    const now = this.clock.now();
    const latenessMs = this.config.ALLOWED_LATENESS_SECONDS * 1000;
    const idleMs = this.config.IDLE_CLOSE_SECONDS * 1000;
    const due = (await this.intervals.openIntervals()).filter(
      (i) => isClosableByWatermark(i.intervalEnd, i.watermark, latenessMs) || isClosableWhenIdle(i.intervalEnd, latenessMs, i.lastArrivalAt, now, idleMs),
    );
    let closed = 0;
    /** Per region, the end of the latest interval this pass closed (by whoever closes it: once). */
    const closedUpTo = new Map<string, number>();
    for (const interval of due) {
      if (!(await this.intervals.closeInterval(interval.regionId, interval.intervalStart, now))) continue;
      closed += 1;
      closedUpTo.set(interval.regionId, Math.max(closedUpTo.get(interval.regionId) ?? 0, interval.intervalEnd));
    }
    await this.recordOutcomes(now);
    await this.prices.run(clocks);
    // Each household's summary up to the intervals now complete (closed: every on-time reading is in).
    for (const [regionId, upTo] of closedUpTo) {
      const timezone = clocks.find((c) => c.regionId === regionId)?.timezone;
      if (timezone) await this.households.refresh(regionId, timezone, await this.pricing.pricingVersions(regionId), upTo, now);
    }
    await this.publisher.publishPending();
    await this.announcements.publishPending();
    return closed;
  }

  /** Ex post: each closed interval's measured utilisation and the level it would have had under the pricing in force. */
  private async recordOutcomes(now: number): Promise<void> {
    const versions = new Map<string, PricingVersion[]>();
    for (const aggregate of await this.intervals.closedWithoutOutcome()) {
      if (!versions.has(aggregate.regionId)) versions.set(aggregate.regionId, await this.pricing.pricingVersions(aggregate.regionId));
      const list = versions.get(aggregate.regionId)!;
      const outcome = list.length === 0 ? { utilisation: null, level: null } : expostOutcome(aggregate, versionInForce(list, aggregate.intervalStart).pricing);
      await this.intervals.recordOutcome(aggregate.regionId, aggregate.intervalStart, outcome, now);
    }
  }
}
