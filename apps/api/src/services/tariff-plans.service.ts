import { Inject, Injectable } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import {
  DomainError,
  planWithChange,
  planWithCohort,
  planWithMove,
  regionAt,
  regionNow,
  tariffAt,
  type CohortPeriod,
  type Meter,
  type RegionPeriod,
  type TariffPeriod,
} from '@wattline/domain';
import { CatalogRepository, ControlLogRepository, Database, MeterMovesRepository, PricingVersionsRepository } from '@wattline/persistence';
import { CLOCK, CONFIG, CONTROL_BUS, type Clock, type ControlBus } from '@wattline/platform';
import { CatalogService } from './catalog.service';

/** A household's tariff plan as the API shows it: the tariff now (in the region's time) and every period. */
export interface HouseholdTariffs {
  meter: Meter;
  tariff: string;
  plan: TariffPeriod[];
  regionPlan: RegionPeriod[];
  cohortPlan: CohortPeriod[];
}

/**
 * Which tariff each household is on: read, and changed from a future interval start (never
 * retroactively). A change tells every broker to forget the household's cached credentials
 * (its meter's, its inverters', its displays'), so their next CONNECT reads the new tariff's topics.
 */
@Injectable()
export class TariffPlansService {
  constructor(
    private readonly catalog: CatalogService,
    private readonly repo: CatalogRepository,
    private readonly versions: PricingVersionsRepository,
    private readonly controlLog: ControlLogRepository,
    private readonly moves: MeterMovesRepository,
    private readonly db: Database,
    @Inject(CONTROL_BUS) private readonly control: ControlBus,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: WattlineConfig,
  ) {}

  async of(meterId: string): Promise<HouseholdTariffs> {
    const meter = await this.household(meterId);
    const [plans, regions, cohorts, now] = await Promise.all([
      this.repo.tariffPlans([meterId]),
      this.moves.regionPlans([meterId]),
      this.moves.cohortPlans([meterId]),
      this.regionTime(meter.regionId),
    ]);
    const plan = plans.get(meterId)!;
    return { meter, tariff: tariffAt(plan, now), plan, regionPlan: regions.get(meterId)!, cohortPlan: cohorts.get(meterId)! };
  }

  async change(meterId: string, tariff: string, effectiveFrom: number): Promise<HouseholdTariffs> {
    const meter = await this.household(meterId);
    if (meter.revokedAt !== null) throw new DomainError('conflict', `${meterId} is revoked: its account has ended`, { field: 'id' });
    const now = await this.regionTime(meter.regionId);
    const at = this.clock.now();
    const usernames = await this.db.transaction(async (tx) => {
      await this.repo.lockMeter(meterId, tx);
      // A tariff of the region the household will be in then; never one that would undo a planned move's tariff.
      const regions = (await this.moves.regionPlans([meterId], tx)).get(meterId)!;
      const move = regions.find((p) => p.from !== null && p.from > effectiveFrom);
      if (move)
        throw new DomainError(
          'conflict',
          `${meterId} moves to region ${move.regionId} at ${new Date(move.from!).toISOString()}: a tariff change before then would replace the tariff it moves to; change it from the move on, or move it again (PUT /v1/meters/${meterId}/region) with the tariff`,
          { field: 'effectiveFrom' },
        );
      const offered = await this.repo.offeredTariffs(regionAt(regions, effectiveFrom), tx);
      const current = (await this.repo.tariffPlans([meterId], tx)).get(meterId)!;
      planWithChange(current, { tariff, from: effectiveFrom }, offered, now, this.config.INTERVAL_SECONDS * 1000);
      await this.repo.changeTariff(meterId, tariff, effectiveFrom, at, tx);
      // The household's credentials, in the control log with the change: brokers read it there if the push misses them.
      const household = await this.repo.householdUsernames(meterId, tx);
      await this.controlLog.append('credential-changed', household, at, tx);
      return household;
    });
    // After the commit (no network call inside a transaction): every broker forgets what these credentials could read.
    for (const username of usernames) await this.control.publish({ type: 'credential-changed', username, at });
    return this.of(meterId);
  }

  /**
   * Moves a household (its meter and inverters) to another region from a future interval start,
   * on `tariff` there (default: that region's default). Its tariff plan gets the change at the
   * move; every broker forgets the household's credentials, so each reads the plan that says in
   * which region each reading counts.
   */
  async moveRegion(meterId: string, regionId: string, effectiveFrom: number, tariff?: string): Promise<HouseholdTariffs> {
    const meter = await this.catalog.getMeter(meterId);
    if (meter.kind === 'inverter')
      throw new DomainError(
        'conflict',
        `${meterId} is an inverter: it moves with its household${meter.householdId ? ` (PUT /v1/meters/${meter.householdId}/region)` : ''}`,
        { field: 'id' },
      );
    if (meter.revokedAt !== null) throw new DomainError('conflict', `${meterId} is revoked: its account has ended`, { field: 'id' });
    const target = await this.repo.getRegion(regionId);
    if (!target) throw new DomainError('validation_failed', `regionId: no region ${regionId}`, { field: 'regionId' });
    const onTariff = tariff ?? target.defaultTariff;
    const [offered, now] = await Promise.all([this.repo.offeredTariffs(regionId), this.regionTime(meter.regionId)]);
    if (!offered.includes(onTariff))
      throw new DomainError(
        'validation_failed',
        `tariff: region ${regionId} offers no tariff "${onTariff}"; it offers ${offered.join(', ')}`,
        {
          field: 'tariff',
        },
      );
    const at = this.clock.now();
    const usernames = await this.db.transaction(async (tx) => {
      await this.repo.lockMeter(meterId, tx);
      const regions = (await this.moves.regionPlans([meterId], tx)).get(meterId)!;
      planWithMove(regions, { regionId, from: effectiveFrom }, now, this.config.INTERVAL_SECONDS * 1000);
      await this.moves.moveRegion(meterId, regionId, effectiveFrom, at, tx);
      await this.repo.changeTariff(meterId, onTariff, effectiveFrom, at, tx);
      const household = await this.repo.householdUsernames(meterId, tx);
      await this.controlLog.append('credential-changed', household, at, tx);
      return household;
    });
    for (const username of usernames) await this.control.publish({ type: 'credential-changed', username, at });
    return this.of(meterId);
  }

  /** Moves a meter to another cohort (or none) from a future interval start. */
  async changeCohort(meterId: string, cohort: string | null, effectiveFrom: number): Promise<HouseholdTariffs> {
    const meter = await this.catalog.getMeter(meterId);
    if (meter.kind === 'inverter')
      throw new DomainError('conflict', `${meterId} is an inverter: the response analysis compares households, by their meters' cohorts`, {
        field: 'id',
      });
    if (meter.revokedAt !== null) throw new DomainError('conflict', `${meterId} is revoked: its account has ended`, { field: 'id' });
    const now = await this.regionTime(meter.regionId);
    await this.db.transaction(async (tx) => {
      await this.repo.lockMeter(meterId, tx);
      const cohorts = (await this.moves.cohortPlans([meterId], tx)).get(meterId)!;
      planWithCohort(cohorts, { cohort, from: effectiveFrom }, now, this.config.INTERVAL_SECONDS * 1000);
      await this.moves.changeCohort(meterId, cohort, effectiveFrom, this.clock.now(), tx);
    });
    return this.of(meterId);
  }

  /** A meter: an inverter has no tariff of its own (it is billed as its household's export). */
  private async household(meterId: string): Promise<Meter> {
    const meter = await this.catalog.getMeter(meterId);
    if (meter.kind === 'inverter')
      throw new DomainError(
        'conflict',
        `${meterId} is an inverter: it is on its household's tariff${meter.householdId ? ` (${meter.householdId})` : ''}, not one of its own`,
        { field: 'id' },
      );
    return meter;
  }

  /** The region's event time now: what a plan's times are in. */
  private async regionTime(regionId: string): Promise<number> {
    const [state] = await this.versions.regionStates(regionId);
    return regionNow(state?.clockLead ?? null, this.clock.now());
  }
}
