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

  /** A tariff's firm prices (the default tariff's unless named). */
  async tariffsOf(
    regionId: string,
    tariff: string | undefined,
    from: number,
    to: number,
    limit: number,
    cursor?: string,
  ): Promise<Page<Tariff>> {
    const { ref } = await this.catalog.tariffOf(regionId, tariff);
    return this.tariffs.page(ref, from, to, limit, cursor);
  }

  /** A tariff's rates newest first, the tariff named by its code (Octopus's tariff code): not found when the region offers none such. */
  async ratesNewestFirst(
    regionId: string,
    tariff: string,
    from: number,
    to: number,
    pageSize: number,
    page: number,
  ): Promise<{ count: number; tariffs: Tariff[] }> {
    const { ref } = await this.catalog.tariffOf(regionId, tariff);
    return this.tariffs.newestFirst(ref, from, to, pageSize, (page - 1) * pageSize);
  }
}
