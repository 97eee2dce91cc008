import { Injectable } from '@nestjs/common';
import {
  billReadEnd,
  DomainError,
  localYearStart,
  movedInAt,
  moveWithin,
  regionAt,
  staysIn,
  type MeterIntervalEnergy,
  type RegionPeriod,
  type Bill,
  type BillGroupBy,
  type Meter,
  type Page,
  type Price,
  type PricingVersion,
  type Region,
} from '@wattline/domain';
import {
  CatalogRepository,
  MeterMovesRepository,
  PricingVersionsRepository,
  ReadingsRepository,
  TariffsRepository,
} from '@wattline/persistence';
import { ComputePool } from '../compute/compute-pool.service';
import { CatalogService } from './catalog.service';

/**
 * Bills over REST, each household at its own tariff (the one it was on at each interval and
 * day: `householdRates`): each interval at its firm price (or the fallback the display showed), export
 * credited, standing charge and tax apart, the shadow bill and household protection — read from
 * the start of the local year, where the protection cap's account begins — through the same
 * `billingRates` as the household summaries. The arithmetic runs on the compute pool's thread,
 * not on the event loop meters are served from.
 */
@Injectable()
export class BillingService {
  constructor(
    private readonly catalog: CatalogService,
    private readonly readings: ReadingsRepository,
    private readonly tariffs: TariffsRepository,
    private readonly versions: PricingVersionsRepository,
    private readonly plans: CatalogRepository,
    private readonly moves: MeterMovesRepository,
    private readonly compute: ComputePool,
  ) {}

  /** A meter's bill over [from, to). */
  async billOf(
    meterId: string,
    from: number,
    to: number,
    groupBy: BillGroupBy,
  ): Promise<Bill & { meterId: string; currency: string; timezone: string }> {
    const meter = await this.catalog.getMeter(meterId);
    if (meter.kind === 'inverter')
      throw new DomainError(
        'conflict',
        meter.householdId
          ? `${meterId} is an inverter: its export is on its household's bill, GET /v1/meters/${meter.householdId}/bill`
          : `${meterId} is an inverter linked to no household: it is on no bill until it is provisioned with a householdId`,
        { field: 'id' },
      );
    const end = accountEnd(meter, to);
    if (end <= from)
      throw new DomainError(
        'conflict',
        `${meterId} was revoked at ${new Date(meter.revokedAt!).toISOString()}: its account ended before the window`,
        {
          field: 'from',
        },
      );
    // One region's account: a household that moved is billed in each region apart, up to and from its move.
    const regionPlan = (await this.moves.regionPlans([meterId])).get(meterId)!;
    const move = moveWithin(regionPlan, from, end);
    if (move)
      throw new DomainError(
        'conflict',
        `${meterId}'s household moved to region ${move.regionId} at ${new Date(move.from!).toISOString()}: a bill covers one region's account; ask for one to ${new Date(move.from!).toISOString()} and one from it`,
        { field: 'to' },
      );
    const region = await this.catalog.getRegion(regionAt(regionPlan, from));
    const [rates, energy, plans] = await Promise.all([
      this.rates(region, from, end),
      this.readings.meterIntervals(meterId, localYearStart(from, region.timezone), billReadEnd(end, region.timezone)),
      this.plans.tariffPlans([meterId]),
    ]);
    const [bill] = await this.compute.run('bills', {
      timeZone: region.timezone,
      from,
      to: end,
      groupBy,
      ...rates,
      energies: [inStay(energy, regionPlan, from)],
      plans: [plans.get(meterId)!],
    });
    return { meterId, currency: region.pricing.currency, timezone: region.timezone, ...bill };
  }

  /**
   * The bills of a region's households over [from, to), a page of meters at a time (by id):
   * each computed as `billOf` computes one, with the region's prices read once for the page.
   * Inverters are on their household's bill, not billed apart; a meter revoked at or before
   * `from` has no bill, one revoked inside the window is billed to its revocation.
   */
  async regionBills(
    regionId: string,
    from: number,
    to: number,
    limit: number,
    cursor?: string,
  ): Promise<Page<Bill & { meter: Meter; currency: string; from: number; to: number }>> {
    const region = await this.catalog.getRegion(regionId);
    const meters = await this.catalog.listHouseholds(regionId, from, limit, cursor);
    const rates = await this.rates(region, from, to);
    const yearStart = localYearStart(from, region.timezone);
    const readEnd = billReadEnd(to, region.timezone);
    const ids = meters.items.map((m) => m.id);
    const [energies, plans, regionPlans] = await Promise.all([
      Promise.all(meters.items.map((meter) => this.readings.meterIntervals(meter.id, yearStart, readEnd))),
      this.plans.tariffPlans(ids),
      this.moves.regionPlans(ids),
    ]);
    // Each household's stays in this region inside the window (one, unless it moved in, out, or both): a bill each.
    const accounts = meters.items.flatMap((meter, i) =>
      staysIn(regionPlans.get(meter.id)!, regionId, from, accountEnd(meter, to)).map((stay) => ({ meter, energy: energies[i], stay })),
    );
    const bills = await this.compute.run('bills', {
      timeZone: region.timezone,
      from,
      to,
      starts: accounts.map((a) => a.stay.from),
      ends: accounts.map((a) => a.stay.to),
      groupBy: 'month',
      ...rates,
      energies: accounts.map((a) => inStay(a.energy, regionPlans.get(a.meter.id)!, a.stay.from)),
      plans: accounts.map((a) => plans.get(a.meter.id)!),
    });
    const items = accounts.map(({ meter, stay }, i) => ({ meter, currency: region.pricing.currency, ...stay, ...bills[i] }));
    return { items, nextCursor: meters.nextCursor };
  }

  /** Every tariff's firm prices and pricing versions from the start of the local year (the protection cap's account) to the end of `to`'s day (a part day's refund). */
  private async rates(
    region: Region,
    from: number,
    to: number,
  ): Promise<{ prices: Map<string, Price[]>; versions: Map<string, PricingVersion[]> }> {
    const [prices, versions] = await Promise.all([
      this.tariffs.betweenByTariff(region.id, localYearStart(from, region.timezone), billReadEnd(to, region.timezone)),
      this.versions.versionsByTariff(region.id),
    ]);
    return { prices, versions };
  }
}

/**
 * A household's energy as one region's account sees it: only the intervals of its stay that
 * holds `at` (from its move in, to its move out), so a yearly account begins at the move.
 */
function inStay(energy: MeterIntervalEnergy[], plan: RegionPeriod[], at: number): MeterIntervalEnergy[] {
  if (plan.length < 2) return energy;
  const start = movedInAt(plan, at) ?? -Infinity;
  const end = plan.find((p) => p.from !== null && p.from > at)?.from ?? Infinity;
  return energy.filter((l) => l.intervalStart >= start && l.intervalStart < end);
}

/** Where a meter's account ends for a bill to `to`: its revocation, if that came first. */
function accountEnd(meter: Meter, to: number): number {
  return meter.revokedAt !== null ? Math.min(to, meter.revokedAt) : to;
}
