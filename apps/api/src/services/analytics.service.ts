import { Injectable } from '@nestjs/common';
import type { AggregateRevision, IntervalAggregate, Page, StoredReading, Tariff } from '@wattline/domain';
import { IntervalsRepository, ReadingsRepository, TariffsRepository } from '@wattline/persistence';
import { CatalogService } from './catalog.service';

/** What analysts read as it was measured and announced: readings, interval aggregates, their revisions and the tariffs. */
@Injectable()
export class AnalyticsService {
  constructor(
    private readonly catalog: CatalogService,
    private readonly readings: ReadingsRepository,
    private readonly intervals: IntervalsRepository,
    private readonly tariffs: TariffsRepository,
  ) {}

  async readingsOf(meterId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<StoredReading>> {
    await this.catalog.getMeter(meterId);
    return this.readings.readingsPage(meterId, from, to, limit, cursor);
  }

  async aggregatesOf(regionId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<IntervalAggregate>> {
    await this.catalog.getRegion(regionId);
    return this.intervals.aggregatesPage(regionId, from, to, limit, cursor);
  }

  async revisionsOf(regionId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<AggregateRevision>> {
    await this.catalog.getRegion(regionId);
    return this.intervals.revisionsPage(regionId, from, to, limit, cursor);
  }

  async tariffsOf(regionId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<Tariff>> {
    await this.catalog.getRegion(regionId);
    return this.tariffs.page(regionId, from, to, limit, cursor);
  }

  async ratesNewestFirst(
    regionId: string,
    from: number,
    to: number,
    pageSize: number,
    page: number,
  ): Promise<{ count: number; tariffs: Tariff[] }> {
    await this.catalog.getRegion(regionId);
    return this.tariffs.newestFirst(regionId, from, to, pageSize, (page - 1) * pageSize);
  }
}
