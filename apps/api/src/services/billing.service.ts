import { Injectable } from '@nestjs/common';
import {
  billingRates,
  buildBill,
  localYearStart,
  type Bill,
  type BillGroupBy,
  type BillingRates,
  type Meter,
  type MeterIntervalEnergy,
  type Page,
  type Region,
} from '@wattline/domain';
import { PricingVersionsRepository, ReadingsRepository, TariffsRepository } from '@wattline/persistence';
import { CatalogService } from './catalog.service';

/**
 * Bills over REST: each interval at its firm price (or the fallback the display showed), export
 * credited, standing charge and tax apart, the shadow bill and household protection — read from
 * the start of the local year, where the protection cap's account begins — through the same
 * `billingRates` as the household summaries.
 */
@Injectable()
export class BillingService {
  constructor(
    private readonly catalog: CatalogService,
    private readonly readings: ReadingsRepository,
    private readonly tariffs: TariffsRepository,
    private readonly versions: PricingVersionsRepository,
  ) {}

  /** A meter's bill over [from, to). */
  async billOf(
    meterId: string,
    from: number,
    to: number,
    groupBy: BillGroupBy,
  ): Promise<Bill & { meterId: string; currency: string; timezone: string }> {
    const meter = await this.catalog.getMeter(meterId);
    const region = await this.catalog.getRegion(meter.regionId);
    const [rates, energy] = await Promise.all([
      this.rates(region, from, to),
      this.readings.meterIntervals(meterId, localYearStart(from, region.timezone), to),
    ]);
    return {
      meterId,
      currency: region.pricing.currency,
      timezone: region.timezone,
      ...this.bill(region, rates, energy, from, to, groupBy),
    };
  }

  /**
   * The bills of a region's households over [from, to), a page of meters at a time (by id):
   * each computed as `billOf` computes one, with the region's prices read once for the page.
   */
  async regionBills(
    regionId: string,
    from: number,
    to: number,
    limit: number,
    cursor?: string,
  ): Promise<Page<Bill & { meter: Meter; currency: string }>> {
    const region = await this.catalog.getRegion(regionId);
    const meters = await this.catalog.listMeters(limit, cursor, regionId);
    const rates = await this.rates(region, from, to);
    const yearStart = localYearStart(from, region.timezone);
    const items = await Promise.all(
      meters.items.map(async (meter) => ({
        meter,
        currency: region.pricing.currency,
        ...this.bill(region, rates, await this.readings.meterIntervals(meter.id, yearStart, to), from, to, 'month'),
      })),
    );
    return { items, nextCursor: meters.nextCursor };
  }

  /** Firm prices and pricing versions from the start of the local year (the protection cap's account) to `to`. */
  private async rates(region: Region, from: number, to: number): Promise<BillingRates> {
    const [tariffs, versions] = await Promise.all([
      this.tariffs.between(region.id, localYearStart(from, region.timezone), to),
      this.versions.versions(region.id),
    ]);
    return billingRates(tariffs, versions);
  }

  private bill(region: Region, rates: BillingRates, energy: MeterIntervalEnergy[], from: number, to: number, groupBy: BillGroupBy): Bill {
    return buildBill({ timeZone: region.timezone, from, to, energy, ...rates, groupBy });
  }
}
