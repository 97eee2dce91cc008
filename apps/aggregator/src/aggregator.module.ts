import { Module } from '@nestjs/common';
import { IntervalSchedulerService } from './jobs/interval-scheduler.service';
import { ReadingsConsumer } from './consumers/readings.consumer';
import { StatusConsumer } from './consumers/status.consumer';
import { TariffPublisherService } from './pricing/tariff-publisher.service';
import { IntervalCloserService } from './windows/interval-closer.service';
import { ReadingStoreService } from './windows/reading-store.service';

/** The aggregator: readings in, interval sums and prices out. */
@Module({
  providers: [ReadingStoreService, TariffPublisherService, IntervalCloserService, IntervalSchedulerService, ReadingsConsumer, StatusConsumer],
})
export class AggregatorModule {}
