import Decimal from 'decimal.js';
import { pricePayload } from '@wattline/contracts';
import type {
  AggregateRevision,
  ApiKey,
  Bill,
  BillGroupBy,
  IntervalAggregate,
  Meter,
  PeakEvent,
  PricingVersion,
  Region,
  StoredReading,
  Tariff,
  TariffPeriod,
  RegionPeriod,
  CohortPeriod,
} from '@wattline/domain';
import type { AuditEntry, ForecastVersusActual, StoredDeadLetter } from '@wattline/persistence';
import type { Explanation } from '../services/pricing.service';
import type { RegionAlerts } from '../services/alerts.service';
import type {
  AggregateResponse,
  ApiKeyResponse,
  BillResponse,
  DeadLetterResponse,
  AuditEntryResponse,
  RegionAlertsResponse,
  EventResponse,
  ExplanationResponse,
  ForecastResponse,
  HouseholdBillResponse,
  MeterResponse,
  OctopusRatesResponse,
  PricingVersionResponse,
  ReadingResponse,
  RegionResponse,
  RevisionResponse,
  TariffResponse,
} from './responses';

/** Response shapes: domain types with times as ISO-8601, each typed by its response schema (responses.ts). */
function iso(ms: number): string;
function iso(ms: number | null): string | null;
function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export const regionView = (r: Region, tariffs?: string[]): RegionResponse => ({
  id: r.id,
  name: r.name,
  timezone: r.timezone,
  currency: r.pricing.currency,
  pricing: r.pricing,
  defaultTariff: r.defaultTariff,
  ...(tariffs ? { tariffs } : {}),
  createdAt: iso(r.createdAt),
});

/** A meter with its tariff now and its plan (a single meter's read, or its tariff's change). */
export const meterTariffsView = (t: {
  meter: Meter;
  tariff: string | null;
  plan: TariffPeriod[];
  regionPlan?: RegionPeriod[];
  cohortPlan?: CohortPeriod[];
}): MeterResponse => ({
  ...meterView(t.meter),
  tariff: t.tariff,
  tariffPlan: t.plan.map((p) => ({ tariff: p.tariff, from: iso(p.from) })),
  ...(t.regionPlan ? { regionPlan: t.regionPlan.map((p) => ({ regionId: p.regionId, from: iso(p.from) })) } : {}),
  ...(t.cohortPlan ? { cohortPlan: t.cohortPlan.map((p) => ({ cohort: p.cohort, from: iso(p.from) })) } : {}),
});

export const meterView = (m: Meter): MeterResponse => ({
  id: m.id,
  regionId: m.regionId,
  kind: m.kind,
  cohort: m.cohort,
  householdId: m.householdId,
  online: m.online,
  statusSince: iso(m.statusSince),
  lastReadingAt: iso(m.lastReadingAt),
  createdAt: iso(m.createdAt),
  revokedAt: iso(m.revokedAt),
});

export const readingView = (r: StoredReading): ReadingResponse => ({
  ts: iso(r.ts),
  periodS: r.periodS,
  consumptionWh: r.consumptionWh,
  generationWh: r.generationWh,
  seq: r.seq,
  receivedAt: iso(r.receivedAt),
  late: r.late,
});

export const aggregateView = (a: IntervalAggregate): AggregateResponse => ({
  regionId: a.regionId,
  intervalStart: iso(a.intervalStart),
  intervalEnd: iso(a.intervalEnd),
  demandWh: a.demandWh,
  supplyWh: a.supplyWh,
  readings: a.readings,
  metersReporting: a.metersReporting,
  lateReadings: a.lateReadings,
  closed: a.closedAt !== null,
  closedAt: iso(a.closedAt),
  version: a.version,
  measuredUtilisation: a.measuredUtilisation ?? null,
  expostLevel: a.expostLevel ?? null,
});

export const revisionView = (r: AggregateRevision): RevisionResponse => ({
  regionId: r.regionId,
  intervalStart: iso(r.intervalStart),
  version: r.version,
  demandDeltaWh: r.demandDeltaWh,
  supplyDeltaWh: r.supplyDeltaWh,
  readingsDelta: r.readingsDelta,
  reason: r.reason,
  revisedBy: r.revisedBy,
  revisedAt: iso(r.revisedAt),
});

export const tariffView = (t: Tariff): TariffResponse => ({ ...pricePayload(t), feedInPrice: t.feedInPrice });

export const pricingVersionView = (v: PricingVersion): PricingVersionResponse => ({
  tariff: v.tariff,
  version: v.version,
  effectiveFrom: iso(v.effectiveFrom),
  pricing: v.pricing,
  createdAt: iso(v.createdAt),
});

export const eventView = (e: PeakEvent): EventResponse => ({
  id: e.id,
  regionId: e.regionId,
  start: iso(e.start),
  end: iso(e.end),
  level: e.level,
  reason: e.reason,
  declaredAt: iso(e.declaredAt),
});

export const forecastView = (f: ForecastVersusActual): ForecastResponse => ({
  intervalStart: iso(f.intervalStart),
  intervalEnd: iso(f.intervalEnd),
  forecastDemandWh: f.forecastDemandWh,
  forecastSupplyWh: f.forecastSupplyWh,
  method: f.method,
  madeAt: iso(f.madeAt),
  actualDemandWh: f.actualDemandWh,
  actualSupplyWh: f.actualSupplyWh,
  closed: f.closed,
  demandErrorWh: f.actualDemandWh === null ? null : Math.round((f.actualDemandWh - f.forecastDemandWh) * 1000) / 1000,
  demandErrorPct: f.actualDemandWh ? Math.round((10_000 * (f.actualDemandWh - f.forecastDemandWh)) / f.actualDemandWh) / 100 : null,
});

export function explanationView(x: Explanation): ExplanationResponse {
  const e = x.tariff.explanation;
  return {
    price: tariffView(x.tariff),
    inputs: e
      ? {
          forecastDemandWh: e.inputs.forecastDemandWh,
          forecastSupplyWh: e.inputs.forecastSupplyWh,
          forecastMethod: e.inputs.forecastMethod,
          wholesalePrice: e.inputs.wholesalePrice,
          scheduledPrice: e.inputs.scheduledPrice,
          event: e.inputs.event,
          previousPriceExTax: e.inputs.previousPriceExTax,
          timeZone: e.inputs.timeZone,
        }
      : null,
    parameters: e?.parameters ?? null,
    modelVersion: x.tariff.modelVersion,
    computation: e
      ? {
          rawPriceExTax: e.rawPriceExTax,
          modelLevel: e.modelLevel ?? x.tariff.level,
          utilisation: e.utilisation,
          band: e.band,
          constrainedBy: e.constrainedBy,
        }
      : null,
    recomputed: x.recomputed,
    matches: x.matches,
    measured: x.measured,
  };
}

/**
 * A price as Octopus Energy's public API gives a unit rate: `value_inc_vat` in the minor
 * unit of the currency per kWh (pence for GBP; a hundredth of the unit for any currency, as
 * clients such as evcc and Home Assistant's integrations divide by 100), newest first.
 * `value_exc_vat` is the price before tax, `value_inc_vat` with it.
 */
export function octopusRateView(t: Tariff): OctopusRatesResponse['results'][number] {
  const minor = (v: string) => new Decimal(v).times(100).toNumber();
  return {
    value_exc_vat: minor(t.priceExTax),
    value_inc_vat: minor(t.price),
    valid_from: new Date(t.intervalStart).toISOString(),
    valid_to: new Date(t.intervalEnd).toISOString(),
    payment_method: null,
  };
}

/** One household's line of a region's bills: totals, the shadow bill, protection and what is due (no lines). */
export function householdBillView(bill: Bill & { meter: Meter; currency: string; from: number; to: number }): HouseholdBillResponse {
  return {
    meterId: bill.meter.id,
    cohort: bill.meter.cohort,
    currency: bill.currency,
    from: new Date(bill.from).toISOString(),
    to: new Date(bill.to).toISOString(),
    ...bill.totals,
    shadowTotal: bill.shadow?.total ?? null,
    shadowDifference: bill.shadow?.difference ?? null,
    protectionRefund: bill.protection?.refund ?? null,
    due: bill.due,
  };
}

/** A bill: totals, the shadow bill, protection and what is due; its lines (and groups) with ISO times. */
export function billView(
  bill: Bill & { meterId: string; currency: string; timezone: string },
  from: number,
  to: number,
  groupBy: BillGroupBy,
): BillResponse {
  return {
    meterId: bill.meterId,
    from: iso(from),
    to: iso(to),
    currency: bill.currency,
    timezone: bill.timezone,
    groupBy,
    ...bill.totals,
    shadow: bill.shadow,
    protection: bill.protection,
    due: bill.due,
    groups: bill.groups,
    intervals: bill.lines.map(({ revisions, ...l }) => ({
      ...l,
      intervalStart: iso(l.intervalStart),
      intervalEnd: iso(l.intervalEnd),
      revisions,
    })),
  };
}

/** An API key as listed: never its secret. */
export const apiKeyView = (key: ApiKey): ApiKeyResponse => ({
  id: key.id,
  name: key.name,
  role: key.role,
  createdAt: iso(key.createdAt),
  revokedAt: iso(key.revokedAt ?? null),
  regions: key.regions,
});

export const auditEntryView = (e: AuditEntry): AuditEntryResponse => ({ ...e, at: iso(e.at) });

export const deadLetterView = (d: StoredDeadLetter): DeadLetterResponse => ({
  id: d.id,
  stream: d.stream,
  meterId: d.letter.meterId ?? null,
  topic: d.letter.topic,
  error: d.letter.error,
  detail: d.letter.detail,
  index: d.letter.index ?? null,
  payload: d.letter.payload,
  source: d.letter.source ? `${d.letter.source.topic}/${d.letter.source.partition}@${d.letter.source.offset}` : null,
  receivedAt: iso(d.letter.receivedAt),
  firstSeenAt: iso(d.firstSeenAt),
  lastSeenAt: iso(d.lastSeenAt),
  timesSeen: d.timesSeen,
  replayRequestedAt: iso(d.replayRequestedAt),
  replayedAt: iso(d.replayedAt),
  replayOutcome: d.replayOutcome,
});

export const regionAlertsView = (a: RegionAlerts): RegionAlertsResponse => ({ ...a, at: iso(a.at), regionTime: iso(a.regionTime) });
