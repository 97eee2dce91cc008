import { Inject, Injectable } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import type { HouseholdSummaryPayload } from '@wattline/contracts';
import {
  householdRates,
  householdSummary,
  localDayStart,
  localYearStart,
  protectionUsedExact,
  tariffAt,
  tariffRatesOf,
  versionInForce,
  type BillingRates,
  type Money,
  type PricingVersion,
  type TariffPeriod,
} from '@wattline/domain';
import { AnnouncementsRepository, CatalogRepository, ReadingsRepository, TariffsRepository } from '@wattline/persistence';
import { CONFIG } from '@wattline/platform';
import type { RegionContext } from '../clock/region-context';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Step 6: each household's own numbers, retained on `households/{meterId}/summary` and refreshed
 * each time its region's intervals close (every on-time reading in): energy and cost today and
 * in the interval last closed, against the shadow bill, and the protection cap used this year —
 * each at its own tariff (`householdRates`), billed through the same `billingRates` as the API's bills. Each pass reads only today (two
 * queries per region) and writes the outbox in one statement. Where a protection cap keeps a
 * yearly account, what the year refunded before today is computed once a local day per region
 * and carried in. A late reading that changes an earlier day's refund reaches the display the
 * next day; the bill (REST) always reads the year.
 */
@Injectable()
export class HouseholdSummariesStep {
  /** Per region: the local day the account was taken at, and each meter's protection used before it. */
  private readonly accounts = new Map<string, { dayStart: number; usedBefore: Map<string, Money> }>();

  constructor(
    private readonly readings: ReadingsRepository,
    private readonly tariffs: TariffsRepository,
    private readonly catalog: CatalogRepository,
    private readonly announcements: AnnouncementsRepository,
    @Inject(CONFIG) private readonly config: WattlineConfig,
  ) {}

  /** Summaries up to `upTo` (the end of the latest closed interval) of a region, given its tariffs' contexts; how many were announced. */
  async run(tariffs: RegionContext[], upTo: number): Promise<number> {
    const region = tariffs.find((t) => t.topicTariff === undefined) ?? tariffs[0];
    if (!region || region.versions.length === 0) return 0;
    const { regionId, timezone: timeZone } = region;
    const versions = new Map(tariffs.map((t) => [t.tariff, t.versions]));
    const dayStart = localDayStart(upTo, timeZone);
    // Today, from the interval before midnight (the last one closed may be yesterday's).
    const from = Math.min(dayStart, upTo - this.config.INTERVAL_SECONDS * 1000);
    const [energy, prices] = await Promise.all([
      this.readings.regionMeterIntervals(regionId, from, upTo),
      this.tariffs.betweenByTariff(regionId, from, upTo),
    ]);
    const plans = await this.catalog.tariffPlans([...energy.keys()]);
    const ratesOf = tariffRatesOf(prices, versions);
    const capped = tariffs.some((t) => t.versions.length > 0 && versionInForce(t.versions, upTo).pricing.protectionCapPerYear);
    const usedBefore = capped ? await this.protectionUsedBefore(region, versions, plans, dayStart) : null;
    const announcements = [...energy].map(([meterId, lines]) => {
      const plan = plans.get(meterId) ?? [{ tariff: region.tariff, from: null }];
      const rates = householdRates(plan, ratesOf);
      const pricing = versionInForce(versions.get(tariffAt(plan, upTo)) ?? region.versions, upTo).pricing;
      const s = householdSummary({
        timeZone,
        from: dayStart,
        to: upTo,
        energy: lines,
        ...rates,
        groupBy: 'interval',
        ...(usedBefore ? { protectionUsedBefore: usedBefore.get(meterId) ?? '0' } : {}),
      });
      const payload: HouseholdSummaryPayload = {
        meterId,
        regionId,
        currency: pricing.currency,
        at: iso(upTo),
        today: { ...s.today, from: iso(s.today.from) },
        lastInterval: s.lastInterval
          ? { ...s.lastInterval, intervalStart: iso(s.lastInterval.intervalStart), intervalEnd: iso(s.lastInterval.intervalEnd) }
          : null,
        protection: s.protection,
      };
      return { regionId, kind: 'household' as const, meterId, payload };
    });
    await this.announcements.insertHouseholds(announcements, region.wall);
    return announcements.length;
  }

  /** What each meter's protection refunded this year before `dayStart`: from the year's readings, once a day per region. */
  private async protectionUsedBefore(
    region: RegionContext,
    versions: Map<string, PricingVersion[]>,
    plans: Map<string, TariffPeriod[]>,
    dayStart: number,
  ): Promise<Map<string, Money>> {
    const kept = this.accounts.get(region.regionId);
    if (kept?.dayStart === dayStart) return kept.usedBefore;
    const { regionId, timezone: timeZone } = region;
    const yearStart = localYearStart(dayStart, timeZone);
    const usedBefore = new Map<string, Money>();
    if (yearStart < dayStart) {
      const [energy, prices] = await Promise.all([
        this.readings.regionMeterIntervals(regionId, yearStart, dayStart),
        this.tariffs.betweenByTariff(regionId, yearStart, dayStart),
      ]);
      const ratesOf = tariffRatesOf(prices, versions);
      for (const [meterId, lines] of energy) {
        const rates: BillingRates = householdRates(plans.get(meterId) ?? [{ tariff: region.tariff, from: null }], ratesOf);
        usedBefore.set(
          meterId,
          protectionUsedExact({ timeZone, from: yearStart, to: dayStart, energy: lines, ...rates, groupBy: 'interval' }),
        );
      }
    }
    this.accounts.set(regionId, { dayStart, usedBefore });
    return usedBefore;
  }
}
