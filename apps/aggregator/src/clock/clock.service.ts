import { Inject, Injectable, Logger } from '@nestjs/common';
import { announcementTopic, tariffPartitionKey, tariffRecord, tariffStreamKey, type AnnouncementRecord } from '@wattline/contracts';
import type { Tariff } from '@wattline/domain';
import { AnnouncementsRepository, PricingVersionsRepository, TariffsRepository } from '@wattline/persistence';
import { CLOCK, Metrics, type Clock } from '@wattline/platform';
import { HouseholdSummariesStep } from '../billing/household-summaries.step';
import { ApplyFleetChangesStep } from '../fleet/apply-fleet-changes.step';
import { CloseIntervalsStep } from '../intervals/close-intervals.step';
import { RecordOutcomesStep } from '../intervals/record-outcomes.step';
import { OutboxDrainer, type Outbox } from '../outbox/outbox-drainer.service';
import { ReplayDeadLettersStep } from '../outbox/replay-dead-letters.step';
import { RetentionStep } from '../readings/retention.step';
import { MoveCurrentStep } from '../pricing/move-current.step';
import { PriceIntradayStep } from '../pricing/price-intraday.step';
import { ScheduleDaysStep } from '../pricing/schedule-days.step';
import { OperationsGaugesStep } from './operations-gauges.step';
import { regionContext, type RegionContext } from './region-context';

/**
 * The aggregator's clock: one pass, in a fixed order, of steps that hold nothing across each
 * other and never call back into the pass —
 *
 *  1. advance the clock: every region's state, each of its tariffs' pricing versions and schedule
 *     state, and its event time, loaded once; then make the region and cohort changes now due the
 *     values in force (fleet/);
 *  2. close the intervals whose time has come (intervals/), and record their measured outcome;
 *  3. price ahead (pricing/), each tariff of a region on its own: the day-ahead schedule at each
 *     cut-off, or the next interval intraday;
 *  4. move each tariff's price in force (`prices/{region}/current`, `prices/{region}/{tariff}/current`);
 *  5. refresh the summaries of the households whose intervals closed (billing/);
 *  6. drain the outboxes (outbox/): firm prices to `tariffs`, announcements to `price.announcements`;
 *     then the dead letters an admin asked to replay, back to `meter.readings`;
 *  7. set the gauges operators alert on, from the state step 1 loaded (operations-gauges.step.ts);
 *  8. drop raw readings past READINGS_RETENTION_MONTHS whose months are final (readings/retention.step.ts).
 *
 * Each write is exactly-once across replicas (guarded in PostgreSQL) and carries its outbox row
 * in the same transaction; a crash anywhere is picked up by the next pass. Run by the tick
 * scheduler only (tick.scheduler.ts).
 */
@Injectable()
export class ClockService {
  private readonly logger = new Logger(ClockService.name);
  private running: Promise<number> | null = null;
  private rerun = false;
  private readonly tariffOutbox: Outbox<Tariff, 'tariffs'>;
  private readonly announcementOutbox: Outbox<AnnouncementRecord, 'announcements'>;

  constructor(
    private readonly schedule: PricingVersionsRepository,
    private readonly closeIntervals: CloseIntervalsStep,
    private readonly recordOutcomes: RecordOutcomesStep,
    private readonly scheduleDays: ScheduleDaysStep,
    private readonly priceIntraday: PriceIntradayStep,
    private readonly moveCurrent: MoveCurrentStep,
    private readonly householdSummaries: HouseholdSummariesStep,
    private readonly gauges: OperationsGaugesStep,
    private readonly drainer: OutboxDrainer,
    private readonly replayDeadLetters: ReplayDeadLettersStep,
    private readonly retention: RetentionStep,
    private readonly fleetChanges: ApplyFleetChangesStep,
    tariffs: TariffsRepository,
    announcements: AnnouncementsRepository,
    metrics: Metrics,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.tariffOutbox = {
      name: 'firm price(s)',
      rows: tariffs,
      topic: 'tariffs',
      message: (t) => ({ key: tariffStreamKey(t), partitionKey: tariffPartitionKey(t), value: tariffRecord(t) }),
      published: (rows) => metrics.tariffsPublished.inc(rows.length),
    };
    this.announcementOutbox = {
      name: 'announcement(s)',
      rows: announcements,
      topic: 'announcements',
      message: (a) => ({ key: announcementTopic(a), value: a }),
    };
  }

  /** Runs one pass; concurrent calls coalesce into one more pass after the current one. Answers how many intervals closed. */
  pass(): Promise<number> {
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    this.running = (async () => {
      let closed = 0;
      do {
        this.rerun = false;
        closed += await this.passOnce();
      } while (this.rerun);
      return closed;
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async passOnce(): Promise<number> {
    const wall = this.clock.now();
    const regions = await this.advanceClock(wall);
    await this.fleetChanges.run(wall).catch((error: Error) => this.logger.warn(`fleet changes deferred: ${error.message}`));
    const { closed, closedUpTo } = await this.closeIntervals.run(wall);
    // The measured outcome (utilisation, the level it would have had) is the default tariff's.
    await this.recordOutcomes.run((id) => regions.get(id)?.find((t) => t.topicTariff === undefined)?.versions ?? [], wall);
    for (const tariffs of regions.values()) {
      for (const tariff of tariffs) {
        if (tariff.versions.length === 0) continue;
        try {
          await this.scheduleDays.run(tariff);
          await this.priceIntraday.run(tariff);
          await this.moveCurrent.run(tariff);
        } catch (error) {
          this.logger.error(`pricing ${tariff.regionId}/${tariff.tariff} failed, retried next pass: ${(error as Error).message}`);
        }
      }
    }
    // Each household's summary up to the intervals now complete (closed: every on-time reading is in).
    for (const [regionId, upTo] of closedUpTo) {
      const tariffs = regions.get(regionId);
      if (tariffs) await this.householdSummaries.run(tariffs, upTo);
    }
    await this.drainer.drain(this.tariffOutbox);
    await this.drainer.drain(this.announcementOutbox);
    // Dead letters an admin asked to replay; a failure waits for the next pass (the lease expires) and holds up nothing.
    await this.replayDeadLetters.run().catch((error: Error) => this.logger.warn(`dead-letter replay deferred: ${error.message}`));
    await this.gauges.run(regions, wall);
    await this.retention.run(regions, wall).catch((error: Error) => this.logger.warn(`retention deferred: ${error.message}`));
    return closed;
  }

  /** Every region's contexts for this pass (one per tariff), in two queries: their state before closing, and their versions. */
  private async advanceClock(wall: number): Promise<Map<string, RegionContext[]>> {
    const [states, versions] = await Promise.all([this.schedule.regionStates(), this.schedule.allVersions()]);
    const regions = new Map<string, RegionContext[]>();
    for (const s of states) {
      const list = regions.get(s.regionId) ?? [];
      regions.set(s.regionId, list);
      list.push(regionContext(s, versions.get(s.regionId)?.get(s.tariff) ?? [], wall));
    }
    return regions;
  }
}
