import { Injectable } from '@nestjs/common';
import {
  billReadEnd,
  localYearStart,
  type Bill,
  type BillGroupBy,
  type Meter,
  type Page,
  type Price,
  type PricingVersion,
  type Region,
} from '@wattline/domain';
import { PricingVersionsRepository, ReadingsRepository, TariffsRepository } from '@wattline/persistence';
import { ComputePool } from '../compute/compute-pool.service';
import { CatalogService } from './catalog.service';

/**
 * Bills over REST: each interval at its firm price (or the fallback the display showed), export
 * credited, standing charge and tax apart, the shadow bill and household protection — read from
 * the start of the local year, where the protection cap's account begins — through the same
 * `billingRates` as the household summaries. The arithmetic runs on the compute pool's thread,
 * not on the event loop meters are served from.
 */
@Injectable()
export class BillingService {
  constructor(
    private readonly catalog: CatalogService,
    private readonly readings: ReadingsRepository,
    private readonly tariffs: TariffsRepository,
    private readonly versions: PricingVersionsRepository,
    private readonly compute: ComputePool,
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
      this.readings.meterIntervals(meterId, localYearStart(from, region.timezone), billReadEnd(to, region.timezone)),
    ]);
    const [bill] = await this.compute.run('bills', { timeZone: region.timezone, from, to, groupBy, ...rates, energies: [energy] });
    return { meterId, currency: region.pricing.currency, timezone: region.timezone, ...bill };
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
    const readEnd = billReadEnd(to, region.timezone);
    const energies = await Promise.all(meters.items.map((meter) => this.readings.meterIntervals(meter.id, yearStart, readEnd)));
    const bills = await this.compute.run('bills', { timeZone: region.timezone, from, to, groupBy: 'month', ...rates, energies });
    return {
      items: meters.items.map((meter, i) => ({ meter, currency: region.pricing.currency, ...bills[i] })),
      nextCursor: meters.nextCursor,
    };
  }

  /** Firm prices and pricing versions from the start of the local year (the protection cap's account) to the end of `to`'s day (a part day's refund). */
  private async rates(region: Region, from: number, to: number): Promise<{ tariffs: Price[]; versions: PricingVersion[] }> {
    const [tariffs, versions] = await Promise.all([
      this.tariffs.between(region.id, localYearStart(from, region.timezone), billReadEnd(to, region.timezone)),
      this.versions.versions(region.id),
    ]);
    return { tariffs, versions };
  }
}
