import { Injectable } from '@nestjs/common';
import { buildBill, type AggregateRevision, type Bill, type IntervalAggregate, type Page, type StoredReading, type Tariff } from '@wattline/domain';
import { IntervalsRepository, ReadingsRepository } from '@wattline/persistence';
import { CatalogService } from './catalog.service';

/** What analysts read: readings, interval aggregates, tariffs and bills. */
@Injectable()
export class AnalyticsService {
  constructor(
    private readonly catalog: CatalogService,
    private readonly readings: ReadingsRepository,
    private readonly intervals: IntervalsRepository,
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

  async billOf(meterId: string, from: number, to: number): Promise<Bill & { meterId: string; currency: string }> {
    const meter = await this.catalog.getMeter(meterId);
    const region = await this.catalog.getRegion(meter.regionId);
    const [energy, tariffs] = await Promise.all([
      this.readings.meterIntervals(meterId, from, to),
      this.intervals.tariffsBetween(meter.regionId, from, to),
    ]);
    const prices = new Map(tariffs.map((t) => [t.intervalStart, t.price]));
    return { meterId, currency: region.pricing.currency, ...buildBill(energy, prices) };
  }
}
