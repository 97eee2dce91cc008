import { Module } from '@nestjs/common';
import { ReadingsConsumer } from './consumers/readings.consumer';
import { StatusConsumer } from './consumers/status.consumer';
import { TariffPublisherService } from './pricing/tariff-publisher.service';
import { CloseTimerService } from './windows/close-timer.service';
import { IntervalCloserService } from './windows/interval-closer.service';
import { ReadingStoreService } from './windows/reading-store.service';

/** The aggregator: readings in, interval sums and prices out. */
@Module({
  providers: [ReadingStoreService, TariffPublisherService, IntervalCloserService, CloseTimerService, ReadingsConsumer, StatusConsumer],
})
export class AggregatorModule {}
