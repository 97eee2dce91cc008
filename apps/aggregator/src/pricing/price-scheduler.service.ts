import { Inject, Injectable, Logger } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import { forecastPayload, pricePayload } from '@wattline/contracts';
import {
  DEFAULT_CUTOFF,
  cutoffBefore,
  fallbackPrice,
  firmPrice,
  forecastIntervals,
  intervalContaining,
  intervalStartsBetween,
  localDayStart,
  nextLocalDayStart,
  regionNow,
  versionInForce,
  type FirmPrice,
  type IntervalForecast,
  type PeakEvent,
  type PriceInputs,
  type PricingVersion,
} from '@wattline/domain';
import { IntervalsRepository, PricingRepository, type RegionPricingState, type StoredForecast } from '@wattline/persistence';
import { CLOCK, CONFIG, type Clock } from '@wattline/platform';

const DAY_MS = 86_400_000;
/** Forecast history: four weeks before the cut-off. */
const HISTORY_MS = 28 * DAY_MS;
/** Day-ahead schedules need whole-minute intervals; shorter ones (tests, demos) price intraday. */
const DAY_AHEAD_MIN_INTERVAL_MS = 60_000;
/** Days a region may catch up in one pass (a replay that jumps a year, a long outage). */
const MAX_DAYS_PER_PASS = 400;

/**
 * Prices ahead of the consumption, in each region's event time (`regionNow`): at the region's
 * cut-off every interval of the next local day is priced from the forecast and stored firm
 * (day-ahead), or the next interval is priced while the one before it runs (intraday); and
 * `prices/{region}/current` is moved to the interval now running — its firm price, or the
 * fallback rate when none covers it. Every write is exactly-once across replicas (guarded in
 * PostgreSQL) and carries its announcement in the same transaction; the publisher sends them.
 */
@Injectable()
export class PriceSchedulerService {
  private readonly logger = new Logger(PriceSchedulerService.name);

  constructor(
    private readonly pricing: PricingRepository,
    private readonly intervals: IntervalsRepository,
    @Inject(CONFIG) private readonly config: WattlineConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  get intervalMs(): number {
    return this.config.INTERVAL_SECONDS * 1000;
  }

  /** One pass over every region, on the regions' clocks as read before this pass closed intervals. */
  async run(states: RegionPricingState[]): Promise<void> {
    for (const state of states) {
      try {
        await this.runRegion(state);
      } catch (error) {
        this.logger.error(`pricing ${state.regionId} failed, retried next pass: ${(error as Error).message}`);
      }
    }
  }

  private async runRegion(state: RegionPricingState): Promise<void> {
    const wall = this.clock.now();
    const now = regionNow(state.watermark, state.lastArrivalAt, wall);
    const versions = await this.pricing.pricingVersions(state.regionId);
    if (versions.length === 0) return;
    if (state.nextDayStart === null) {
      // The first day to schedule is the one after the region's first measured interval (however far a
      // replay has run since); without readings there is none yet.
      const first = state.firstIntervalStart === null ? null : nextLocalDayStart(localDayStart(state.firstIntervalStart, state.timezone), state.timezone);
      await this.pricing.initState(state.regionId, first);
      if (first !== null) return this.runRegion({ ...state, nextDayStart: first });
    }
    if (state.nextDayStart !== null) await this.scheduleDueDays(state, state.nextDayStart, versions, now, wall);
    if (state.watermark !== null && this.modeAt(versions, intervalContaining(now, this.intervalMs).end) === 'intraday') await this.priceNextIntraday(state, versions, now, wall);
    await this.moveCurrent(state, versions, now, wall);
  }

  private modeAt(versions: PricingVersion[], at: number): 'day-ahead' | 'intraday' {
    if (this.intervalMs < DAY_AHEAD_MIN_INTERVAL_MS) return 'intraday';
    return versionInForce(versions, at).pricing.mode ?? 'day-ahead';
  }

  /** Prices every local day whose cut-off has passed in the region's event time, in order. */
  private async scheduleDueDays(state: RegionPricingState, firstDay: number, versions: PricingVersion[], now: number, wall: number): Promise<void> {
    const tz = state.timezone;
    let day = firstDay;
    for (let n = 0; n < MAX_DAYS_PER_PASS; n++) {
      const cutoff = cutoffBefore(day, versionInForce(versions, day).pricing.cutoff ?? DEFAULT_CUTOFF, tz);
      if (now < cutoff) return;
      const next = nextLocalDayStart(day, tz);
      if (this.modeAt(versions, day) === 'day-ahead') {
        const stored = await this.scheduleDay(state, day, next, cutoff, versions, now, wall);
        if (stored === null) return; // another replica scheduled it: it goes on from there
        if (stored > 0) this.logger.log(`day-ahead ${state.regionId} ${new Date(day).toISOString()}: ${stored} firm price(s) announced at ${new Date(now).toISOString()} (cut-off ${new Date(cutoff).toISOString()})`);
        else this.logger.warn(`day-ahead ${state.regionId} ${new Date(day).toISOString()}: nothing could be priced at the cut-off; the day runs at the fallback rate`);
      } else if ((await this.pricing.commitDay(state.regionId, day, next, [], [], wall, null)) === null) return;
      day = next;
    }
  }

  private async scheduleDay(state: RegionPricingState, day: number, next: number, cutoff: number, versions: PricingVersion[], now: number, wall: number): Promise<number | null> {
    const region = state.regionId;
    const starts = intervalStartsBetween(day, next, this.intervalMs);
    const [history, wholesale, scheduled, events, previous] = await Promise.all([
      this.pricing.history(region, cutoff - HISTORY_MS, cutoff),
      this.pricing.wholesaleBetween(region, day, next),
      this.pricing.scheduledBetween(region, day, next),
      this.pricing.eventsOverlapping(region, day, next),
      this.pricing.priceBefore(region, day),
    ]);
    const forecast = forecastIntervals(history, starts, { timeZone: state.timezone, asOf: cutoff });
    const forecastByStart = new Map<number, IntervalForecast>(forecast.ok ? forecast.intervals.map((f) => [f.intervalStart, f]) : []);
    if (!forecast.ok) this.logger.warn(`no forecast for ${region} ${new Date(day).toISOString()}: ${forecast.detail}`);
    const prices: FirmPrice[] = [];
    let prev = previous;
    for (const start of starts) {
      const version = versionInForce(versions, start);
      const f = forecastByStart.get(start) ?? null;
      const inputs: PriceInputs = {
        ...this.inputsFor(region, start, state.timezone, f, events),
        wholesalePrice: wholesale.get(start) ?? null,
        scheduledPrice: scheduled.get(start) ?? null,
        previousPriceExTax: prev,
      };
      const priced = firmPrice(inputs, version.pricing, version.version, 'day-ahead');
      if ('reason' in priced) continue; // no firm price: the interval gets the fallback, announced as such
      prices.push(priced);
      prev = priced.priceExTax;
    }
    const forecasts: StoredForecast[] = [...forecastByStart.values()].map((f) => ({ ...f, intervalEnd: f.intervalStart + this.intervalMs }));
    const already = (await this.pricing.firmFrom(region, intervalContaining(now, this.intervalMs).start)).filter((t) => t.intervalStart < day);
    const announced = [...already, ...prices.map((p) => ({ ...p, computedAt: wall }))];
    const announcement = prices.length === 0 ? null : { regionId: region, kind: 'forecast' as const, payload: forecastPayload(region, wall, announced) };
    const stored = await this.pricing.commitDay(region, day, next, prices, forecasts, wall, announcement);
    return stored === null ? null : stored.length;
  }

  /**
   * Intraday: while interval I runs, price I+1 from the forecast corrected by how the last
   * measured interval compared with its own forecast (or, without a forecast, from that
   * measured interval as it is). Nothing measured in it (a stalled pipeline): no price, so the
   * display is told the fallback rather than a guess.
   */
  private async priceNextIntraday(state: RegionPricingState, versions: PricingVersion[], now: number, wall: number): Promise<void> {
    const region = state.regionId;
    const running = intervalContaining(now, this.intervalMs);
    const target = running.end;
    if (await this.intervals.tariffAt(region, target)) return;
    const lastEnded = running.start - this.intervalMs;
    const measured = await this.pricing.measured(region, lastEnded);
    if (!measured) return;
    const [measuredForecast, history, events, wholesale, scheduled] = await Promise.all([
      this.pricing.forecastAt(region, lastEnded),
      this.pricing.history(region, now - HISTORY_MS, now),
      this.pricing.eventsOverlapping(region, target, target + this.intervalMs),
      this.pricing.wholesaleBetween(region, target, target + this.intervalMs),
      this.pricing.scheduledBetween(region, target, target + this.intervalMs),
    ]);
    const profile = forecastIntervals(history, [target], { timeZone: state.timezone, asOf: now });
    let f: IntervalForecast | null = profile.ok ? profile.intervals[0] : null;
    if (f && measuredForecast && measuredForecast.demandWh > 0) {
      const factor = measured.demandWh / measuredForecast.demandWh;
      f = { ...f, demandWh: Math.round(f.demandWh * factor * 1000) / 1000 };
    } else if (!f) {
      f = { intervalStart: target, demandWh: measured.demandWh, supplyWh: measured.supplyWh, method: 'same-slot-any-day', samples: 1 };
    }
    const version = versionInForce(versions, target);
    const inputs: PriceInputs = {
      ...this.inputsFor(region, target, state.timezone, f, events),
      wholesalePrice: wholesale.get(target) ?? null,
      scheduledPrice: scheduled.get(target) ?? null,
      previousPriceExTax: await this.pricing.priceBefore(region, target),
    };
    const priced = firmPrice(inputs, version.pricing, version.version, 'intraday');
    if ('reason' in priced) return;
    const announcement = { regionId: region, kind: 'forecast' as const, payload: forecastPayload(region, wall, [{ ...priced, computedAt: wall }]) };
    await this.pricing.commitIntraday(priced, f ? { ...f, intervalEnd: target + this.intervalMs } : null, wall, announcement);
  }

  /** `prices/{region}/current` follows the interval now running: its firm price, else the fallback. */
  private async moveCurrent(state: RegionPricingState, versions: PricingVersion[], now: number, wall: number): Promise<void> {
    const region = state.regionId;
    const running = intervalContaining(now, this.intervalMs);
    const firm = await this.intervals.tariffAt(region, now);
    const version = versionInForce(versions, running.start);
    const next = firm ? { start: firm.intervalStart, basis: firm.basis, version: firm.modelVersion } : { start: running.start, basis: 'fallback', version: version.version };
    if (state.currentStart === next.start && state.currentBasis === next.basis && state.currentVersion === next.version) return;
    const payload = pricePayload(firm ?? { ...fallbackPrice(region, running, version.pricing, version.version), computedAt: wall });
    const moved = await this.pricing.moveCurrent(region, { start: state.currentStart, basis: state.currentBasis, version: state.currentVersion }, next, { regionId: region, kind: 'current', payload }, wall);
    if (moved && !firm && state.currentBasis !== 'fallback') {
      this.logger.warn(`no firm price for ${region} from ${new Date(running.start).toISOString()}: the fallback ${payload.price} ${payload.currency}/kWh is announced until there is one`);
    }
  }

  private inputsFor(regionId: string, start: number, timeZone: string, f: IntervalForecast | null, events: PeakEvent[]): Omit<PriceInputs, 'wholesalePrice' | 'scheduledPrice' | 'previousPriceExTax'> {
    const event = events.find((e) => e.start <= start && start < e.end);
    return {
      regionId,
      intervalStart: start,
      intervalEnd: start + this.intervalMs,
      timeZone,
      forecastDemandWh: f?.demandWh ?? null,
      forecastSupplyWh: f?.supplyWh ?? null,
      forecastMethod: f?.method ?? null,
      event: event ? { id: event.id, level: event.level } : null,
    };
  }
}
