import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import type { PricePayload } from '@wattline/contracts';
import {
  DEFAULT_CUTOFF,
  DEFAULT_EVENT_BUDGET,
  DomainError,
  cutoffBefore,
  expostOutcome,
  fromLocal,
  localDayStart,
  localParts,
  priceInterval,
  regionNow,
  simulate,
  tariffResponse,
  versionInForce,
  type Page,
  type PeakEvent,
  type PricingModel,
  type PricingVersion,
  type Tariff,
  type Simulation,
  type TariffResponse,
} from '@wattline/domain';
import { IntervalsRepository, PricingRepository, ReadingsRepository, type ForecastVersusActual } from '@wattline/persistence';
import { CLOCK, CONFIG, type Clock } from '@wattline/platform';
import type { CsvUploadQuery, DeclareEventBody, UploadPricesBody } from '../dtos/schemas';
import { CatalogService } from './catalog.service';

/** A stored price with what it was computed from, a recomputation, and (once measured) what the interval turned out to be. */
export interface Explanation {
  tariff: Tariff;
  recomputed: { price: string; priceExTax: string; tax: string; level: number } | null;
  matches: boolean;
  measured: { demandWh: number; supplyWh: number; utilisation: number | null; levelWouldHaveBeen: number | null; demandErrorWh: number | null } | null;
}

/** Pricing as analysts and operators see it: versions, events, uploads, explanations, forecasts. */
@Injectable()
export class PricingService {
  constructor(
    private readonly catalog: CatalogService,
    private readonly pricing: PricingRepository,
    private readonly intervals: IntervalsRepository,
    private readonly readings: ReadingsRepository,
    @Inject(CONFIG) private readonly config: WattlineConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** What `prices/{region}/current` carries now (the firm price in force, or the fallback). */
  async current(regionId: string): Promise<PricePayload> {
    await this.catalog.getRegion(regionId);
    const announced = await this.pricing.latestAnnouncement(regionId, 'current');
    if (announced?.kind !== 'current') throw new DomainError('not_found', `No price has been announced for region ${regionId} yet`);
    return announced.payload;
  }

  async versions(regionId: string, limit: number, cursor?: string): Promise<Page<PricingVersion>> {
    await this.catalog.getRegion(regionId);
    return this.pricing.pricingVersionsPage(regionId, limit, cursor);
  }

  async changePricing(regionId: string, pricing: PricingModel, effectiveFrom: number): Promise<PricingVersion> {
    await this.catalog.getRegion(regionId);
    const intervalMs = this.config.INTERVAL_SECONDS * 1000;
    if (effectiveFrom % intervalMs !== 0) {
      throw new DomainError('validation_failed', `effectiveFrom must be the start of an interval (a multiple of ${this.config.INTERVAL_SECONDS} s)`, { field: 'effectiveFrom' });
    }
    const added = await this.pricing.addPricingVersion(regionId, pricing, effectiveFrom, this.clock.now());
    if (!added.ok) {
      throw new DomainError('conflict', `prices up to ${new Date(added.earliest).toISOString()} are already announced and never change: choose an effectiveFrom at or after it`, { field: 'effectiveFrom', earliest: new Date(added.earliest).toISOString() });
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
    const end = Date.parse(body.end);
    const versions = await this.pricing.pricingVersions(regionId);
    const pricing = versionInForce(versions, start).pricing;
    if (pricing.model !== 'critical-peak-5') throw new DomainError('validation_failed', `events override critical-peak-5 levels; region ${regionId} prices with ${pricing.model} at that time`, { field: 'start' });
    const deadline = cutoffBefore(localDayStart(start, region.timezone), pricing.cutoff ?? DEFAULT_CUTOFF, region.timezone);
    const state = (await this.pricing.regionStates()).find((s) => s.regionId === regionId);
    const now = regionNow(state?.watermark ?? null, state?.lastArrivalAt ?? null, this.clock.now());
    if (now >= deadline) {
      throw new DomainError('conflict', `the notice deadline for an event starting ${body.start} was ${new Date(deadline).toISOString()} (the day-ahead cut-off before it); the region's time is ${new Date(now).toISOString()}`, { field: 'start' });
    }
    const year = localParts(start, region.timezone).year;
    const budget = pricing.eventBudget ?? DEFAULT_EVENT_BUDGET;
    const event: PeakEvent = { id: randomUUID(), regionId, start, end, level: body.level, reason: body.reason, declaredAt: this.clock.now() };
    const declared = await this.pricing.declareEvent(event, fromLocal(year, 1, 1, 0, 0, region.timezone), fromLocal(year + 1, 1, 1, 0, 0, region.timezone), budget);
    if (!declared.ok) throw new DomainError('conflict', `region ${regionId} has used its ${budget} events for ${year}`, { field: 'start', used: declared.used });
    return event;
  }

  async events(regionId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<PeakEvent>> {
    await this.catalog.getRegion(regionId);
    return this.pricing.listEvents(regionId, from, to, limit, cursor);
  }

  async upload(kind: 'wholesale' | 'scheduled', regionId: string, body: UploadPricesBody): Promise<{ stored: number; from: string; to: string }> {
    await this.catalog.getRegion(regionId);
    const intervalMs = this.config.INTERVAL_SECONDS * 1000;
    const rows = body.prices.map((p, i) => {
      const start = Date.parse(p.intervalStart);
      if (start % intervalMs !== 0) throw new DomainError('validation_failed', `prices[${i}].intervalStart ${p.intervalStart} is not the start of an interval`, { field: `prices.${i}.intervalStart` });
      return { intervalStart: start, price: p.price, band: p.band ?? null };
    });
    const stored = await this.pricing.upsertPrices(kind, regionId, rows, this.clock.now());
    const starts = rows.map((r) => r.intervalStart);
    return { stored, from: new Date(Math.min(...starts)).toISOString(), to: new Date(Math.max(...starts) + intervalMs).toISOString() };
  }

  /** A CSV upload read into the JSON shape (columns named by the query). */
  fromCsv(text: string, query: CsvUploadQuery): UploadPricesBody {
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
    if (lines.length < 2) throw new DomainError('validation_failed', 'the CSV needs a header line and at least one row', { field: '(body)' });
    const header = lines[0].split(',').map((h) => h.trim());
    const column = (name: string, field: string) => {
      const i = header.indexOf(name);
      if (i < 0) throw new DomainError('validation_failed', `the CSV has no column "${name}" (columns: ${header.join(', ')}); name it with ?${field}=`, { field });
      return i;
    };
    const [t, p] = [column(query.timeColumn, 'timeColumn'), column(query.priceColumn, 'priceColumn')];
    const b = query.bandColumn ? column(query.bandColumn, 'bandColumn') : -1;
    return {
      prices: lines.slice(1).map((line, n) => {
        const cells = line.split(',').map((c) => c.trim());
        const time = parseCsvTime(cells[t], query.timeZone);
        const value = Number(cells[p]);
        if (time === null || !Number.isFinite(value)) throw new DomainError('validation_failed', `CSV line ${n + 2}: "${line}" has no valid time or price`, { field: '(body)' });
        const scaled = (value / query.divisor).toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
        return { intervalStart: new Date(time).toISOString(), price: scaled, ...(b >= 0 ? { band: cells[b] } : {}) };
      }),
    };
  }

  /** The stored price, its inputs, a recomputation from them, and the measured outcome. */
  async explain(regionId: string, intervalStart: number): Promise<Explanation> {
    await this.catalog.getRegion(regionId);
    const tariff = await this.pricing.tariffStarting(regionId, intervalStart);
    if (!tariff) throw new DomainError('not_found', `No firm price for region ${regionId} at ${new Date(intervalStart).toISOString()} (an interval without one was announced at the fallback rate)`);
    const e = tariff.explanation;
    const again = e ? priceInterval(e.inputs, e.parameters) : null;
    const recomputed = again && again.ok ? { price: again.price, priceExTax: again.priceExTax, tax: again.tax, level: again.level } : null;
    const [aggregate] = (await this.intervals.listAggregates(regionId, intervalStart, intervalStart + 1, 1)).items;
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

  /** What-if: the stored window re-priced under other parameters, and each household's cost change; nothing published changes. */
  async simulate(regionId: string, from: number, to: number, pricing: PricingModel): Promise<Simulation> {
    const region = await this.catalog.getRegion(regionId);
    if (pricing.currency !== region.pricing.currency) throw new DomainError('validation_failed', `the region prices in ${region.pricing.currency}`, { field: 'pricing.currency' });
    const [published, energy] = await Promise.all([this.intervals.tariffsBetween(regionId, from, to), this.readings.regionMeterIntervals(regionId, from, to)]);
    return simulate(published, pricing, energy);
  }

  /** Consumption of the dynamic-tariff households against the control cohort, per price level. */
  async response(regionId: string, from: number, to: number, control: string): Promise<TariffResponse & { control: string }> {
    await this.catalog.getRegion(regionId);
    return { control, ...tariffResponse(await this.intervals.usageByLevel(regionId, from, to, control)) };
  }

  async forecast(regionId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<ForecastVersusActual>> {
    await this.catalog.getRegion(regionId);
    return this.pricing.forecastVersusActual(regionId, from, to, limit, cursor);
  }
}

/** `2013-01-01 00:30:00` (local to `timeZone`) or ISO-8601 with an offset. */
function parseCsvTime(cell: string | undefined, timeZone: string): number | null {
  if (!cell) return null;
  const local = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(cell);
  if (local) return fromLocal(Number(local[1]), Number(local[2]), Number(local[3]), Number(local[4]), Number(local[5]), timeZone);
  const ms = Date.parse(cell);
  return Number.isNaN(ms) || !/[zZ]|[+-]\d{2}:?\d{2}$/.test(cell) ? null : ms;
}
