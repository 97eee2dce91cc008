import { Inject, Injectable } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import { DomainError, planWithChange, regionNow, tariffAt, type Meter, type TariffPeriod } from '@wattline/domain';
import { CatalogRepository, ControlLogRepository, Database, PricingVersionsRepository } from '@wattline/persistence';
import { CLOCK, CONFIG, CONTROL_BUS, type Clock, type ControlBus } from '@wattline/platform';
import { CatalogService } from './catalog.service';

/** A household's tariff plan as the API shows it: the tariff now (in the region's time) and every period. */
export interface HouseholdTariffs {
  meter: Meter;
  tariff: string;
  plan: TariffPeriod[];
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
    private readonly db: Database,
    @Inject(CONTROL_BUS) private readonly control: ControlBus,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: WattlineConfig,
  ) {}

  async of(meterId: string): Promise<HouseholdTariffs> {
    const meter = await this.household(meterId);
    const [plans, now] = await Promise.all([this.repo.tariffPlans([meterId]), this.regionTime(meter.regionId)]);
    const plan = plans.get(meterId)!;
    return { meter, tariff: tariffAt(plan, now), plan };
  }

  async change(meterId: string, tariff: string, effectiveFrom: number): Promise<HouseholdTariffs> {
    const meter = await this.household(meterId);
    if (meter.revokedAt !== null) throw new DomainError('conflict', `${meterId} is revoked: its account has ended`, { field: 'id' });
    const [offered, now] = await Promise.all([this.repo.offeredTariffs(meter.regionId), this.regionTime(meter.regionId)]);
    const at = this.clock.now();
    const { plan, usernames } = await this.db.transaction(async (tx) => {
      await this.repo.lockMeter(meterId, tx);
      const current = (await this.repo.tariffPlans([meterId], tx)).get(meterId)!;
      const next = planWithChange(current, { tariff, from: effectiveFrom }, offered, now, this.config.INTERVAL_SECONDS * 1000);
      await this.repo.changeTariff(meterId, tariff, effectiveFrom, at, tx);
      // The household's credentials, in the control log with the change: brokers read it there if the push misses them.
      const household = await this.repo.householdUsernames(meterId, tx);
      await this.controlLog.append('credential-changed', household, at, tx);
      return { plan: next, usernames: household };
    });
    // After the commit (no network call inside a transaction): every broker forgets what these credentials could read.
    for (const username of usernames) await this.control.publish({ type: 'credential-changed', username, at });
    return { meter, tariff: tariffAt(plan, now), plan };
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
