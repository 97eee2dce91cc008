import { Injectable } from '@nestjs/common';
import {
  billingPriceOf,
  billingTermsOf,
  buildBill,
  localYearStart,
  versionInForce,
  type AggregateRevision,
  type Bill,
  type BillGroupBy,
  type IntervalAggregate,
  type Page,
  type StoredReading,
  type Tariff,
} from '@wattline/domain';
import { IntervalsRepository, PricingRepository, ReadingsRepository } from '@wattline/persistence';
import { CatalogService } from './catalog.service';

/** What analysts read: readings, interval aggregates, tariffs and bills. */
@Injectable()
export class AnalyticsService {
  constructor(
    private readonly catalog: CatalogService,
    private readonly readings: ReadingsRepository,
    private readonly intervals: IntervalsRepository,
    private readonly pricing: PricingRepository,
  ) {}

  async readingsOf(meterId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<StoredReading>> {
    await this.catalog.getMeter(meterId);
    return this.readings.listForMeter(meterId, from, to, limit, cursor);
  }

  async aggregatesOf(regionId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<IntervalAggregate>> {
    await this.catalog.getRegion(regionId);
    return this.intervals.listAggregates(regionId, from, to, limit, cursor);
  }

  async revisionsOf(regionId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<AggregateRevision>> {
    await this.catalog.getRegion(regionId);
    return this.intervals.listRevisions(regionId, from, to, limit, cursor);
  }

  async tariffsOf(regionId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<Tariff>> {
    await this.catalog.getRegion(regionId);
    return this.intervals.listTariffs(regionId, from, to, limit, cursor);
  }

  async ratesNewestFirst(regionId: string, from: number, to: number, pageSize: number, page: number): Promise<{ count: number; tariffs: Tariff[] }> {
    await this.catalog.getRegion(regionId);
    return this.intervals.tariffsNewestFirst(regionId, from, to, pageSize, (page - 1) * pageSize);
  }

  /**
   * A meter's bill over [from, to): each interval at its firm price (or the fallback the display
   * showed), export credited, standing charge and tax apart, the shadow bill and household
   * protection — read from the start of the local year, where the protection cap's account begins.
   */
  async billOf(meterId: string, from: number, to: number, groupBy: BillGroupBy): Promise<Bill & { meterId: string; currency: string; timezone: string }> {
    const meter = await this.catalog.getMeter(meterId);
    const region = await this.catalog.getRegion(meter.regionId);
    const yearStart = localYearStart(from, region.timezone);
    const [energy, tariffs, versions] = await Promise.all([
      this.readings.meterIntervals(meterId, yearStart, to),
      this.intervals.tariffsBetween(meter.regionId, yearStart, to),
      this.pricing.pricingVersions(meter.regionId),
    ]);
    const firm = new Map(tariffs.map((t) => [t.intervalStart, t]));
    const bill = buildBill({
      timeZone: region.timezone,
      from,
      to,
      energy,
      priceAt: (start) => billingPriceOf(firm.get(start), versionInForce(versions, start).pricing),
      termsOn: (day) => billingTermsOf(versionInForce(versions, day).pricing),
      groupBy,
    });
    return { meterId, currency: region.pricing.currency, timezone: region.timezone, ...bill };
  }
}
