import { Inject, Injectable } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import { CONFIG } from '@wattline/platform';
import type { HouseholdSummaryPayload } from '@wattline/contracts';
import { billingPriceOf, billingTermsOf, householdSummary, localDayStart, localYearStart, versionInForce, type PricingVersion } from '@wattline/domain';
import { IntervalsRepository, PricingRepository, ReadingsRepository } from '@wattline/persistence';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Each household's own numbers, retained on `households/{meterId}/summary` and refreshed each
 * time its region's intervals close (every on-time reading in): energy and cost today and in
 * the interval last closed, against the shadow bill, and the protection cap used this year. Read in two queries per region (the
 * year to date only where a protection cap makes it needed), computed in the domain, written to
 * the announcement outbox in one statement.
 */
@Injectable()
export class HouseholdSummaryService {
  constructor(
    private readonly readings: ReadingsRepository,
    private readonly intervals: IntervalsRepository,
    private readonly pricing: PricingRepository,
    @Inject(CONFIG) private readonly config: WattlineConfig,
  ) {}

  /** Summaries up to `intervalStart` (the end of the latest closed interval). */
  async refresh(regionId: string, timeZone: string, versions: PricingVersion[], intervalStart: number, wall: number): Promise<number> {
    const dayStart = localDayStart(intervalStart, timeZone);
    const pricing = versionInForce(versions, intervalStart).pricing;
    // From the year's start where a protection cap keeps its account; else from the interval before midnight (the last one may be yesterday's).
    const from = pricing.protectionCapPerYear ? localYearStart(dayStart, timeZone) : Math.min(dayStart, intervalStart - this.config.INTERVAL_SECONDS * 1000);
    const [energy, tariffs] = await Promise.all([this.readings.regionMeterIntervals(regionId, from, intervalStart), this.intervals.tariffsBetween(regionId, from, intervalStart)]);
    const firm = new Map(tariffs.map((t) => [t.intervalStart, t]));
    const announcements = [...energy].map(([meterId, lines]) => {
      const s = householdSummary({
        timeZone,
        from: dayStart,
        to: intervalStart,
        energy: lines,
        priceAt: (start) => billingPriceOf(firm.get(start), versionInForce(versions, start).pricing),
        termsOn: (day) => billingTermsOf(versionInForce(versions, day).pricing),
        groupBy: 'interval',
      });
      const payload: HouseholdSummaryPayload = {
        meterId,
        regionId,
        currency: pricing.currency,
        at: iso(intervalStart),
        today: { ...s.today, from: iso(s.today.from) },
        lastInterval: s.lastInterval ? { ...s.lastInterval, intervalStart: iso(s.lastInterval.intervalStart), intervalEnd: iso(s.lastInterval.intervalEnd) } : null,
        protection: s.protection,
      };
      return { regionId, kind: 'household' as const, meterId, payload };
    });
    await this.pricing.announceHouseholds(announcements, wall);
    return announcements.length;
  }
}
