import Decimal from 'decimal.js';
import { pricePayload } from '@wattline/contracts';
import type { AggregateRevision, IntervalAggregate, Meter, Region, StoredReading, Tariff } from '@wattline/domain';

/** Response shapes: domain types with times as ISO-8601. */
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const regionView = (r: Region) => ({ id: r.id, name: r.name, timezone: r.timezone, currency: r.pricing.currency, pricing: r.pricing, createdAt: iso(r.createdAt) });

export const meterView = (m: Meter) => ({
  id: m.id,
  regionId: m.regionId,
  kind: m.kind,
  online: m.online,
  statusSince: iso(m.statusSince),
  lastReadingAt: iso(m.lastReadingAt),
  createdAt: iso(m.createdAt),
  revokedAt: iso(m.revokedAt),
});

export const readingView = (r: StoredReading) => ({
  ts: iso(r.ts),
  periodS: r.periodS,
  consumptionWh: r.consumptionWh,
  generationWh: r.generationWh,
  seq: r.seq,
  receivedAt: iso(r.receivedAt),
  late: r.late,
});

export const aggregateView = (a: IntervalAggregate) => ({
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
});

export const revisionView = (r: AggregateRevision) => ({
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

export const tariffView = (t: Tariff) => pricePayload(t);

/**
 * A price as Octopus Energy's public API gives a unit rate: `value_inc_vat` in the minor
 * unit of the currency per kWh (pence for GBP; a hundredth of the unit for any currency, as
 * clients such as evcc and Home Assistant's integrations divide by 100), newest first.
 * Wattline's prices carry no tax split yet, so both values are the price.
 */
export function octopusRateView(t: Tariff) {
  const minor = new Decimal(t.price).times(100).toNumber();
  return { value_exc_vat: minor, value_inc_vat: minor, valid_from: new Date(t.intervalStart).toISOString(), valid_to: new Date(t.intervalEnd).toISOString(), payment_method: null };
}
