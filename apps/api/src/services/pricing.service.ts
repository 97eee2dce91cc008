import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import type { PricePayload } from '@wattline/contracts';
import {
  DomainError,
  admitEvent,
  expostOutcome,
  priceInterval,
  regionNow,
  tariffAt,
  versionInForce,
  type Page,
  type PeakEvent,
  type PricingModel,
  type PricingVersion,
  type Tariff,
  type Simulation,
  type ResponseOptions,
  type TariffResponse,
} from '@wattline/domain';
import {
  AnnouncementsRepository,
  CatalogRepository,
  Database,
  ForecastsRepository,
  IntervalsRepository,
  MarketInputsRepository,
  PricingVersionsRepository,
  ReadingsRepository,
  TariffsRepository,
  type ForecastVersusActual,
} from '@wattline/persistence';
import { CLOCK, CONFIG, type Clock } from '@wattline/platform';
import type { DeclareEventBody, UploadPricesBody } from '../dtos/schemas';
import { ComputePool } from '../compute/compute-pool.service';
import { CatalogService } from './catalog.service';

/** The most household intervals a response analysis reads: 79 homes over a year is 1.4 M; a city's wider trial names its cohorts and a shorter window. */
const MAX_RESPONSE_OBSERVATIONS = 2_000_000;

/** A stored price with what it was computed from, a recomputation, and (once measured) what the interval turned out to be. */
export interface Explanation {
  tariff: Tariff;
  recomputed: { price: string; priceExTax: string; tax: string; level: number } | null;
  matches: boolean;
  measured: {
    demandWh: number;
    supplyWh: number;
    utilisation: number | null;
    levelWouldHaveBeen: number | null;
    demandErrorWh: number | null;
  } | null;
}

/** Pricing as analysts and operators see it: versions, events, uploads, explanations, forecasts. */
@Injectable()
export class PricingService {
  constructor(
    private readonly catalog: CatalogService,
    private readonly db: Database,
    private readonly regions: CatalogRepository,
    private readonly versionsRepo: PricingVersionsRepository,
    private readonly announcements: AnnouncementsRepository,
    private readonly tariffs: TariffsRepository,
    private readonly market: MarketInputsRepository,
    private readonly forecasts: ForecastsRepository,
    private readonly intervals: IntervalsRepository,
    private readonly readings: ReadingsRepository,
    private readonly compute: ComputePool,
    @Inject(CONFIG) private readonly config: WattlineConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** What a tariff's `current` topic carries now (the firm price in force, or the fallback); the default tariff's unless named. */
  async current(regionId: string, tariff?: string): Promise<PricePayload> {
    const { ref, topicTariff } = await this.catalog.tariffOf(regionId, tariff);
    const announced = await this.announcements.latest(regionId, 'current', topicTariff);
    if (announced?.kind !== 'current') throw new DomainError('not_found', `No price has been announced for ${regionId}/${ref.tariff} yet`);
    return announced.payload;
  }

  async versions(regionId: string, tariff: string | undefined, limit: number, cursor?: string): Promise<Page<PricingVersion>> {
    const { ref } = await this.catalog.tariffOf(regionId, tariff);
    return this.versionsRepo.page(ref, limit, cursor);
  }

  /**
   * A new version of one of the region's tariffs (its default unless named). A code the region
   * does not offer yet adds that tariff, priced from `effectiveFrom`'s day on.
   */
  async changePricing(regionId: string, tariff: string | undefined, pricing: PricingModel, effectiveFrom: number): Promise<PricingVersion> {
    const region = await this.catalog.getRegion(regionId);
    const ref = { regionId, tariff: tariff ?? region.defaultTariff };
    if (pricing.currency !== region.pricing.currency)
      throw new DomainError('validation_failed', `pricing.currency: the region prices in ${region.pricing.currency}`, {
        field: 'pricing.currency',
      });
    const intervalMs = this.config.INTERVAL_SECONDS * 1000;
    if (effectiveFrom % intervalMs !== 0) {
      throw new DomainError(
        'validation_failed',
        `effectiveFrom must be the start of an interval (a multiple of ${this.config.INTERVAL_SECONDS} s)`,
        { field: 'effectiveFrom' },
      );
    }
    // A change is never retroactive to a published price: checked and written under the region's lock.
    const added = await this.db.transaction(async (tx) => {
      await this.regions.lockRegion(regionId, tx);
      const announcedTo = await this.tariffs.announcedTo(ref, tx);
      if (announcedTo !== null && announcedTo > effectiveFrom) return { ok: false as const, earliest: announcedTo };
      const version = await this.versionsRepo.add(ref, pricing, effectiveFrom, this.clock.now(), tx);
      if (ref.tariff === region.defaultTariff) await this.regions.setRegionPricing(regionId, pricing, tx);
      return { ok: true as const, version };
    });
    if (!added.ok) {
      const earliest = new Date(added.earliest).toISOString();
      throw new DomainError(
        'conflict',
        `prices up to ${earliest} are already announced and never change: choose an effectiveFrom at or after it`,
        { field: 'effectiveFrom', earliest },
      );
    }
    return added.version;
  }

  /**
   * Declares a critical-peak event: refused once the notice deadline has passed (the day-ahead
   * cut-off before the day it starts, in the region's event time) or when the region's yearly
   * budget is spent.
   */
  async declareEvent(regionId: string, body: DeclareEventBody): Promise<PeakEvent> {
    const region = await this.catalog.getRegion(regionId);
    const start = Date.parse(body.start);
    // Events are the region's; their notice and budget are those of its default tariff's pricing.
    const [versions, [state]] = await Promise.all([
      this.versionsRepo.versions({ regionId, tariff: region.defaultTariff }),
      this.versionsRepo.regionStates(regionId),
    ]);
    const now = regionNow(state?.clockLead ?? null, this.clock.now());
    const admission = admitEvent(start, versionInForce(versions, start).pricing, region.timezone, now);
    if (!admission.ok) throw new DomainError(admission.code, `region ${regionId}: ${admission.detail}`, { field: 'start' });
    const event: PeakEvent = {
      id: randomUUID(),
      regionId,
      start,
      end: Date.parse(body.end),
      level: body.level,
      reason: body.reason,
      declaredAt: this.clock.now(),
    };
    // The budget is counted and spent under the region's lock, so two declarations cannot both take the last one.
    const used = await this.db.transaction(async (tx) => {
      await this.regions.lockRegion(regionId, tx);
      const count = await this.market.countEventsStarting(regionId, admission.yearFrom, admission.yearTo, tx);
      if (count >= admission.budget) return count;
      await this.market.insertEvent(event, tx);
      return null;
    });
    if (used !== null)
      throw new DomainError('conflict', `region ${regionId} has used its ${admission.budget} events for ${admission.year}`, {
        field: 'start',
        used,
      });
    return event;
  }

  async events(regionId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<PeakEvent>> {
    await this.catalog.getRegion(regionId);
    return this.market.eventsPage(regionId, from, to, limit, cursor);
  }

  /** Uploaded prices: the region's wholesale series, or an imported schedule of one of its tariffs (its default unless named). */
  async upload(
    kind: 'wholesale' | 'scheduled',
    regionId: string,
    body: UploadPricesBody,
    tariff?: string,
  ): Promise<{ stored: number; from: string; to: string }> {
    const { ref } = await this.catalog.tariffOf(regionId, kind === 'scheduled' ? tariff : undefined);
    const intervalMs = this.config.INTERVAL_SECONDS * 1000;
    const rows = body.prices.map((p, i) => {
      const start = Date.parse(p.intervalStart);
      if (start % intervalMs !== 0)
        throw new DomainError('validation_failed', `prices[${i}].intervalStart ${p.intervalStart} is not the start of an interval`, {
          field: `prices.${i}.intervalStart`,
        });
      return { intervalStart: start, price: p.price, band: p.band ?? null };
    });
    const stored = await this.market.upsertPrices(
      kind === 'scheduled' ? { table: 'scheduled', ...ref } : { table: 'wholesale', regionId },
      rows,
      this.clock.now(),
    );
    const starts = rows.map((r) => r.intervalStart);
    return { stored, from: new Date(Math.min(...starts)).toISOString(), to: new Date(Math.max(...starts) + intervalMs).toISOString() };
  }

  /** The stored price, its inputs, a recomputation from them, and the measured outcome. */
  async explain(regionId: string, tariffCode: string | undefined, intervalStart: number): Promise<Explanation> {
    const { ref } = await this.catalog.tariffOf(regionId, tariffCode);
    const tariff = await this.tariffs.starting(ref, intervalStart);
    if (!tariff)
      throw new DomainError(
        'not_found',
        `No firm price for ${regionId}/${ref.tariff} at ${new Date(intervalStart).toISOString()} (an interval without one was announced at the fallback rate)`,
      );
    const e = tariff.explanation;
    const again = e ? priceInterval(e.inputs, e.parameters) : null;
    const recomputed = again && again.ok ? { price: again.price, priceExTax: again.priceExTax, tax: again.tax, level: again.level } : null;
    const [aggregate] = (await this.intervals.aggregatesPage(regionId, intervalStart, intervalStart + 1, 1)).items;
    const closed = aggregate && aggregate.closedAt !== null;
    const outcome = closed && e ? expostOutcome(aggregate, e.parameters) : null;
    return {
      tariff,
      recomputed,
      matches: recomputed !== null && recomputed.price === tariff.price && recomputed.level === tariff.level,
      measured: closed
        ? {
            demandWh: aggregate.demandWh,
            supplyWh: aggregate.supplyWh,
            utilisation: outcome?.utilisation ?? null,
            levelWouldHaveBeen: outcome?.level ?? null,
            demandErrorWh: tariff.forecastDemandWh === null ? null : aggregate.demandWh - tariff.forecastDemandWh,
          }
        : null,
    };
  }

  /**
   * What-if: one tariff's stored window (the default's unless named) re-priced under other
   * parameters, and the cost change of each household on it — of the intervals it was on that
   * tariff (a household on another tariff is not moved by it); nothing published changes.
   */
  async simulate(regionId: string, tariff: string | undefined, from: number, to: number, pricing: PricingModel): Promise<Simulation> {
    const { region, ref } = await this.catalog.tariffOf(regionId, tariff);
    if (pricing.currency !== region.pricing.currency)
      throw new DomainError('validation_failed', `the region prices in ${region.pricing.currency}`, { field: 'pricing.currency' });
    const [published, all] = await Promise.all([
      this.tariffs.between(ref, from, to),
      this.readings.regionMeterIntervals(regionId, from, to),
    ]);
    const plans = await this.regions.tariffPlans([...all.keys()]);
    const energy = new Map(
      [...all]
        .map(([id, lines]) => [id, lines.filter((l) => tariffAt(plans.get(id)!, l.intervalStart) === ref.tariff)] as const)
        .filter(([, lines]) => lines.length > 0),
    );
    return this.compute.run('simulation', { published, pricing, energy });
  }

  /**
   * The tariff's effect per price level: the dynamic-tariff households against the control
   * cohort, by two-way fixed effects with a wild cluster bootstrap interval (on the compute pool).
   */
  async response(
    regionId: string,
    from: number,
    to: number,
    sides: { control: string; treatment?: string; tariff?: string },
    options: ResponseOptions,
  ): Promise<TariffResponse & { control: string; treatment: string | null; tariff: string }> {
    // Intervals are banded by the levels of the treatment's tariff (the region's default unless named).
    const { ref } = await this.catalog.tariffOf(regionId, sides.tariff);
    const panel = await this.readings.responsePanel(ref, from, to, sides, MAX_RESPONSE_OBSERVATIONS);
    if (!panel)
      throw new DomainError(
        'validation_failed',
        `the window holds more than ${MAX_RESPONSE_OBSERVATIONS.toLocaleString('en')} household half hours: narrow from/to or name one treatment cohort`,
        { field: 'from' },
      );
    const estimate = await this.compute.run('response', { panel, options });
    return { control: sides.control, treatment: sides.treatment ?? null, tariff: ref.tariff, ...estimate };
  }

  /** A tariff's announced firm prices from the interval in force (in the region's time) on: the plain feed home energy managers read. */
  async priceFeed(
    regionId: string,
    tariff: string | undefined,
    kind: 'import' | 'export',
  ): Promise<{ start: string; end: string; value: number }[]> {
    const { ref } = await this.catalog.tariffOf(regionId, tariff);
    const now = regionNow(await this.versionsRepo.clockLead(regionId), this.clock.now());
    return (await this.tariffs.validAfter(ref, now)).map((t) => ({
      start: new Date(t.intervalStart).toISOString(),
      end: new Date(t.intervalEnd).toISOString(),
      value: Number(kind === 'export' ? t.feedInPrice : t.price),
    }));
  }

  /** The region's event time against the wall clock, for a display to tell when a price has expired. */
  regionClockLead(regionId: string): Promise<number | null> {
    return this.versionsRepo.clockLead(regionId);
  }

  async forecast(regionId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<ForecastVersusActual>> {
    await this.catalog.getRegion(regionId);
    return this.forecasts.versusActual(regionId, from, to, limit, cursor);
  }
}
