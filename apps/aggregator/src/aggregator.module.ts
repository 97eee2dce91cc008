import { Module } from '@nestjs/common';
import { HouseholdSummariesStep } from './billing/household-summaries.step';
import { ClockService } from './clock/clock.service';
import { TickScheduler } from './clock/tick.scheduler';
import { ReadingsConsumer } from './consumers/readings.consumer';
import { StatusConsumer } from './consumers/status.consumer';
import { DeadLettersConsumer } from './consumers/dead-letters.consumer';
import { ReplayDeadLettersStep } from './outbox/replay-dead-letters.step';
import { RetentionStep } from './readings/retention.step';
import { ApplyFleetChangesStep } from './fleet/apply-fleet-changes.step';
import { CloseIntervalsStep } from './intervals/close-intervals.step';
import { RecordOutcomesStep } from './intervals/record-outcomes.step';
import { OutboxDrainer } from './outbox/outbox-drainer.service';
import { MoveCurrentStep } from './pricing/move-current.step';
import { PriceIntradayStep } from './pricing/price-intraday.step';
import { ScheduleDaysStep } from './pricing/schedule-days.step';
import { ReadingStoreService } from './readings/reading-store.service';
import { OperationsGaugesStep } from './clock/operations-gauges.step';

/** The clock's pass and its steps, in the order the pass runs them (clock/clock.service.ts). */
export const CLOCK_PASS = [
  ClockService,
  CloseIntervalsStep,
  RecordOutcomesStep,
  ScheduleDaysStep,
  PriceIntradayStep,
  MoveCurrentStep,
  HouseholdSummariesStep,
  OperationsGaugesStep,
  OutboxDrainer,
  ReplayDeadLettersStep,
  RetentionStep,
  ApplyFleetChangesStep,
];

/** The aggregator: readings in, interval sums, forecasts and prices ahead of the consumption out. */
@Module({
  providers: [ReadingStoreService, ...CLOCK_PASS, TickScheduler, ReadingsConsumer, StatusConsumer, DeadLettersConsumer],
})
export class AggregatorModule {}
