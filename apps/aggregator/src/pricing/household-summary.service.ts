import { Inject, Injectable } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import { CONFIG } from '@wattline/platform';
import type { HouseholdSummaryPayload } from '@wattline/contracts';
import { billingPriceOf, billingTermsOf, householdSummary, protectionUsedExact, localDayStart, localYearStart, versionInForce, type Money, type PricingVersion, type Tariff } from '@wattline/domain';
import { IntervalsRepository, PricingRepository, ReadingsRepository } from '@wattline/persistence';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Each household's own numbers, retained on `households/{meterId}/summary` and refreshed each
 * time its region's intervals close (every on-time reading in): energy and cost today and in
 * the interval last closed, against the shadow bill, and the protection cap used this year.
 * Each pass reads only today (two queries per region), computes in the domain, and writes the
 * announcement outbox in one statement. Where a protection cap keeps a yearly account, what the
 * year refunded before today is computed once a local day per region and carried in, rather
 * than re-reading every household's year at every interval. A late reading that changes an
 * earlier day's refund reaches the display the next day; the bill (REST) always reads the year.
 */
@Injectable()
export class HouseholdSummaryService {
  /** Per region: the local day the account was taken at, and each meter's protection used before it. */
  private readonly accounts = new Map<string, { dayStart: number; usedBefore: Map<string, Money> }>();

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
    // Today, from the interval before midnight (the last one closed may be yesterday's).
    const from = Math.min(dayStart, intervalStart - this.config.INTERVAL_SECONDS * 1000);
    const [energy, tariffs] = await Promise.all([this.readings.regionMeterIntervals(regionId, from, intervalStart), this.intervals.tariffsBetween(regionId, from, intervalStart)]);
    const usedBefore = pricing.protectionCapPerYear ? await this.protectionUsedBefore(regionId, timeZone, versions, dayStart) : null;
    const terms = (day: number) => billingTermsOf(versionInForce(versions, day).pricing);
    const priceAt = pricesFrom(tariffs, versions);
    const announcements = [...energy].map(([meterId, lines]) => {
      const s = householdSummary({
        timeZone,
        from: dayStart,
        to: intervalStart,
        energy: lines,
        priceAt,
        termsOn: terms,
        groupBy: 'interval',
        ...(usedBefore ? { protectionUsedBefore: usedBefore.get(meterId) ?? '0' } : {}),
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

  /** What each meter's protection refunded this year before `dayStart`: from the year's readings, once a day per region. */
  private async protectionUsedBefore(regionId: string, timeZone: string, versions: PricingVersion[], dayStart: number): Promise<Map<string, Money>> {
    const kept = this.accounts.get(regionId);
    if (kept?.dayStart === dayStart) return kept.usedBefore;
    const yearStart = localYearStart(dayStart, timeZone);
    const usedBefore = new Map<string, Money>();
    if (yearStart < dayStart) {
      const [energy, tariffs] = await Promise.all([this.readings.regionMeterIntervals(regionId, yearStart, dayStart), this.intervals.tariffsBetween(regionId, yearStart, dayStart)]);
      const priceAt = pricesFrom(tariffs, versions);
      for (const [meterId, lines] of energy) {
        usedBefore.set(meterId, protectionUsedExact({ timeZone, from: yearStart, to: dayStart, energy: lines, priceAt, termsOn: (day) => billingTermsOf(versionInForce(versions, day).pricing), groupBy: 'interval' }));
      }
    }
    this.accounts.set(regionId, { dayStart, usedBefore });
    return usedBefore;
  }
}

/** The price each interval is billed at: its firm price, or the fallback of the version in force. */
function pricesFrom(tariffs: Tariff[], versions: PricingVersion[]) {
  const firm = new Map(tariffs.map((t) => [t.intervalStart, t]));
  return (start: number) => billingPriceOf(firm.get(start), versionInForce(versions, start).pricing);
}
