import { Module } from '@nestjs/common';
import { IntervalSchedulerService } from './jobs/interval-scheduler.service';
import { ReadingsConsumer } from './consumers/readings.consumer';
import { StatusConsumer } from './consumers/status.consumer';
import { AnnouncementPublisherService } from './pricing/announcement-publisher.service';
import { HouseholdSummaryService } from './pricing/household-summary.service';
import { PriceSchedulerService } from './pricing/price-scheduler.service';
import { TariffPublisherService } from './pricing/tariff-publisher.service';
import { IntervalCloserService } from './windows/interval-closer.service';
import { ReadingStoreService } from './windows/reading-store.service';

/** The aggregator: readings in, interval sums, forecasts and prices ahead of the consumption out. */
@Module({
  providers: [ReadingStoreService, TariffPublisherService, AnnouncementPublisherService, HouseholdSummaryService, PriceSchedulerService, IntervalCloserService, IntervalSchedulerService, ReadingsConsumer, StatusConsumer],
})
export class AggregatorModule {}
