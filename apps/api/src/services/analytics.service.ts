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
  type Meter,
  type MeterIntervalEnergy,
  type Page,
  type Region,
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
    const [prices, energy] = await Promise.all([this.billingPrices(region, from, to), this.readings.meterIntervals(meterId, localYearStart(from, region.timezone), to)]);
    return { meterId, currency: region.pricing.currency, timezone: region.timezone, ...this.bill(region, prices, energy, from, to, groupBy) };
  }

  /**
   * The bills of a region's households over [from, to), a page of meters at a time (by id):
   * each meter's totals, shadow bill and protection, computed as `billOf` computes one, with the
   * region's prices read once for the page.
   */
  async regionBills(regionId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<Bill & { meter: Meter; currency: string }>> {
    const region = await this.catalog.getRegion(regionId);
    const meters = await this.catalog.listMeters(limit, cursor, regionId);
    const prices = await this.billingPrices(region, from, to);
    const yearStart = localYearStart(from, region.timezone);
    const items = await Promise.all(
      meters.items.map(async (meter) => ({
        meter,
        currency: region.pricing.currency,
        ...this.bill(region, prices, await this.readings.meterIntervals(meter.id, yearStart, to), from, to, 'month'),
      })),
    );
    return { items, nextCursor: meters.nextCursor };
  }

  /** Firm prices and pricing versions from the start of the local year (the protection cap's account) to `to`. */
  private async billingPrices(region: Region, from: number, to: number) {
    const [tariffs, versions] = await Promise.all([this.intervals.tariffsBetween(region.id, localYearStart(from, region.timezone), to), this.pricing.pricingVersions(region.id)]);
    return { firm: new Map(tariffs.map((t) => [t.intervalStart, t])), versions };
  }

  private bill(region: Region, prices: Awaited<ReturnType<AnalyticsService['billingPrices']>>, energy: MeterIntervalEnergy[], from: number, to: number, groupBy: BillGroupBy): Bill {
    return buildBill({
      timeZone: region.timezone,
      from,
      to,
      energy,
      priceAt: (start) => billingPriceOf(prices.firm.get(start), versionInForce(prices.versions, start).pricing),
      termsOn: (day) => billingTermsOf(versionInForce(prices.versions, day).pricing),
      groupBy,
    });
  }
}
