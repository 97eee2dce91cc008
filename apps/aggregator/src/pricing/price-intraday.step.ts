import { Inject, Injectable } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import { forecastPayload } from '@wattline/contracts';
import {
  correctIntraday,
  firmPrice,
  forecastIntervals,
  intervalContaining,
  priceInputsFor,
  pricingModeAt,
  versionInForce,
} from '@wattline/domain';
import {
  AnnouncementsRepository,
  Database,
  ForecastsRepository,
  IntervalsRepository,
  MarketInputsRepository,
  TariffsRepository,
} from '@wattline/persistence';
import { CONFIG } from '@wattline/platform';
import type { RegionContext } from '../clock/region-context';

/** Forecast history: four weeks. */
const HISTORY_MS = 28 * 86_400_000;

/**
 * Step 4, intraday: while interval I runs, I+1 is priced from the forecast corrected by how the
 * last measured interval compared with its own (`correctIntraday`). Nothing measured in it (a
 * stalled pipeline): no price, so the display is told the fallback rather than a guess. The
 * price, its forecast and the forecast announcement commit together, once.
 */
@Injectable()
export class PriceIntradayStep {
  constructor(
    private readonly db: Database,
    private readonly intervals: IntervalsRepository,
    private readonly market: MarketInputsRepository,
    private readonly forecasts: ForecastsRepository,
    private readonly tariffs: TariffsRepository,
    private readonly announcements: AnnouncementsRepository,
    @Inject(CONFIG) private readonly config: WattlineConfig,
  ) {}

  async run(region: RegionContext): Promise<void> {
    const intervalMs = this.config.INTERVAL_SECONDS * 1000;
    const { regionId: id, ref, now } = region;
    const running = intervalContaining(now, intervalMs);
    if (region.state.watermark === null || pricingModeAt(region.versions, running.end, intervalMs) !== 'intraday') return;
    const target = { start: running.end, end: running.end + intervalMs };
    if (await this.tariffs.at(ref, target.start)) return;
    const lastEnded = running.start - intervalMs;
    const measured = await this.intervals.measured(id, lastEnded);
    if (!measured) return;
    const [measuredForecast, history, events, wholesale, scheduled, previous] = await Promise.all([
      this.forecasts.at(id, lastEnded),
      this.intervals.history(id, now - HISTORY_MS, now),
      this.market.eventsOverlapping(id, target.start, target.end),
      this.market.wholesaleBetween(id, target.start, target.end),
      this.market.scheduledBetween(ref, target.start, target.end),
      this.tariffs.priceBefore(ref, target.start),
    ]);
    const profile = forecastIntervals(history, [target.start], { timeZone: region.timezone, asOf: now });
    const forecast = correctIntraday(target.start, profile.ok ? profile.intervals[0] : null, measured, measuredForecast);
    const inputs = {
      ...priceInputsFor(id, target, region.timezone, { forecast, events, wholesale, scheduled }),
      previousPriceExTax: previous,
    };
    const priced = firmPrice(inputs, versionInForce(region.versions, target.start), 'intraday', region.wall);
    if ('reason' in priced) return;
    await this.db.transaction(async (tx) => {
      const [stored] = await this.tariffs.insertNew([priced], tx);
      if (!stored) return; // another replica priced it
      await this.forecasts.insert(id, [{ ...forecast, intervalEnd: target.end }], region.wall, tx);
      await this.announcements.insert(
        { regionId: id, tariff: region.topicTariff, kind: 'forecast', payload: forecastPayload(id, region.wall, [priced]) },
        region.wall,
        tx,
      );
    });
  }
}
