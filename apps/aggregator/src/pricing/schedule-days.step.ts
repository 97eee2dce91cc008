import { Inject, Injectable, Logger } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import { forecastPayload } from '@wattline/contracts';
import {
  DEFAULT_CUTOFF,
  cutoffBefore,
  firmPrices,
  forecastIntervals,
  intervalContaining,
  intervalStartsBetween,
  localDayStart,
  nextLocalDayStart,
  priceInputsFor,
  versionInForce,
  type IntervalForecast,
  pricingModeAt,
} from '@wattline/domain';
import {
  AnnouncementsRepository,
  Database,
  ForecastsRepository,
  IntervalsRepository,
  MarketInputsRepository,
  PricingVersionsRepository,
  TariffsRepository,
  type StoredForecast,
} from '@wattline/persistence';
import { CONFIG } from '@wattline/platform';
import type { RegionContext } from '../clock/region-context';

const DAY_MS = 86_400_000;
/** Forecast history: four weeks before the cut-off. */
const HISTORY_MS = 28 * DAY_MS;
/** Days a region may catch up in one pass (a replay that jumps a year, a long outage). */
const MAX_DAYS_PER_PASS = 400;

/**
 * Step 3, day-ahead: at the region's cut-off (in its event time) every interval of the next
 * local day is priced from the forecast and stored firm, with the forecast and the schedule's
 * announcement, in one transaction guarded on the day still being the next to schedule (a
 * replica that got there first wins). Days past their cut-off are priced in order.
 */
@Injectable()
export class ScheduleDaysStep {
  private readonly logger = new Logger(ScheduleDaysStep.name);
  /** Days being tried again after their cut-off (said once in the log, not on every pass). */
  private readonly retrying = new Set<string>();

  constructor(
    private readonly db: Database,
    private readonly schedule: PricingVersionsRepository,
    private readonly intervals: IntervalsRepository,
    private readonly market: MarketInputsRepository,
    private readonly forecasts: ForecastsRepository,
    private readonly tariffs: TariffsRepository,
    private readonly announcements: AnnouncementsRepository,
    @Inject(CONFIG) private readonly config: WattlineConfig,
  ) {}

  private get intervalMs(): number {
    return this.config.INTERVAL_SECONDS * 1000;
  }

  async run(region: RegionContext): Promise<void> {
    const { state, timezone: tz, versions } = region;
    let day = state.nextDayStart;
    if (day === null) {
      // The first day to schedule is the one after the region's first measured interval (however far a
      // replay has run since); without readings there is none yet.
      // A tariff whose first version starts later (one added to a running region) starts at its day.
      day = state.firstIntervalStart === null ? null : nextLocalDayStart(localDayStart(state.firstIntervalStart, tz), tz);
      if (day !== null && state.tariffFrom !== null) day = Math.max(day, localDayStart(state.tariffFrom, tz));
      await this.schedule.initState(region.ref, day);
      if (day === null) return;
    }
    for (let n = 0; n < MAX_DAYS_PER_PASS; n++) {
      const cutoff = cutoffBefore(day, versionInForce(versions, day).pricing.cutoff ?? DEFAULT_CUTOFF, tz);
      if (region.now < cutoff) return;
      const next = nextLocalDayStart(day, tz);
      if (pricingModeAt(versions, day, this.intervalMs) === 'day-ahead') {
        const outcome = await this.scheduleDay(region, day, next, cutoff);
        if (outcome === null) return; // another replica scheduled it: it goes on from there
        const at = `${region.regionId}/${region.tariff} ${new Date(day).toISOString()}`;
        const key = retryKey(region, day);
        if (outcome.stored > 0)
          this.logger.log(
            `day-ahead ${at}: ${outcome.stored} firm price(s) announced at ${new Date(region.now).toISOString()} (cut-off ${new Date(cutoff).toISOString()})` +
              (outcome.missing > 0 ? `; ${outcome.missing} still to price` : ''),
          );
        if (!outcome.advanced) {
          // Not all of the day could be priced (no forecast yet, a wholesale series not uploaded): it
          // stays the next day to schedule and is tried again on every pass until it starts.
          if (!this.retrying.has(key))
            this.logger.warn(
              `day-ahead ${at}: ${outcome.missing} interval(s) could not be priced at the cut-off; trying again on every pass until the day starts`,
            );
          this.retrying.add(key);
          return;
        }
        this.retrying.delete(key);
        if (outcome.missing > 0)
          this.logger.warn(
            `day-ahead ${at}: the day has started with ${outcome.missing} interval(s) unpriced; they run at the fallback rate`,
          );
      } else if (!(await this.schedule.advanceDay(region.ref, day, next))) return;
      day = next;
    }
  }

  /**
   * Prices what it can of one day and commits it: the firm prices stored and the intervals still
   * unpriced. The day is done (advanced) once every interval is priced or the day has started;
   * null when another replica had advanced it.
   */
  private async scheduleDay(
    region: RegionContext,
    day: number,
    next: number,
    cutoff: number,
  ): Promise<{ stored: number; missing: number; advanced: boolean } | null> {
    const { regionId: id, ref } = region;
    const starts = intervalStartsBetween(day, next, this.intervalMs);
    const [history, wholesale, scheduled, events, previous, already] = await Promise.all([
      this.intervals.history(id, cutoff - HISTORY_MS, cutoff),
      this.market.wholesaleBetween(id, day, next),
      this.market.scheduledBetween(ref, day, next),
      this.market.eventsOverlapping(id, day, next),
      this.tariffs.priceBefore(ref, day),
      this.tariffs.validAfter(ref, intervalContaining(region.now, this.intervalMs).start),
    ]);
    const forecast = forecastIntervals(history, starts, { timeZone: region.timezone, asOf: cutoff });
    if (!forecast.ok && !this.retrying.has(retryKey(region, day)))
      this.logger.warn(`no forecast for ${id} ${new Date(day).toISOString()}: ${forecast.detail}`);
    const byStart = new Map<number, IntervalForecast>(forecast.ok ? forecast.intervals.map((f) => [f.intervalStart, f]) : []);
    const inputs = starts.map((start) =>
      priceInputsFor(id, { start, end: start + this.intervalMs }, region.timezone, {
        forecast: byStart.get(start) ?? null,
        events,
        wholesale,
        scheduled,
      }),
    );
    // An interval the model cannot price gets no firm price: it runs at the fallback, announced as such.
    // One priced on an earlier pass keeps the price it was announced with.
    const pricedBefore = new Set(already.map((t) => t.intervalStart));
    const fresh = firmPrices(inputs, region.versions, previous, 'day-ahead', region.wall).filter((p) => !pricedBefore.has(p.intervalStart));
    const missing = starts.filter((start) => !pricedBefore.has(start)).length - fresh.length;
    // Until the day starts, a day not wholly priced stays the next to schedule (tried again next pass).
    const done = missing === 0 || region.now >= day;
    const stored: StoredForecast[] = [...byStart.values()].map((f) => ({ ...f, intervalEnd: f.intervalStart + this.intervalMs }));
    return this.db.transaction(async (tx) => {
      if (done) {
        if (!(await this.schedule.advanceDay(ref, day, next, tx))) return null;
      } else if (!(await this.schedule.isNextDay(ref, day, tx))) return null;
      await this.forecasts.insert(id, stored, region.wall, tx);
      const inserted = await this.tariffs.insertNew(fresh, tx);
      // Announced when something new is firm: what was announced before, with what this pass added.
      if (inserted.length > 0) {
        const announced = [...already, ...inserted].sort((a, b) => a.intervalStart - b.intervalStart);
        await this.announcements.insert(
          { regionId: id, tariff: region.topicTariff, kind: 'forecast', payload: forecastPayload(id, region.wall, announced) },
          region.wall,
          tx,
        );
      }
      return { stored: inserted.length, missing: missing + (fresh.length - inserted.length), advanced: done };
    });
  }
}

const retryKey = (region: RegionContext, day: number) => `${region.regionId}/${region.tariff}/${day}`;
