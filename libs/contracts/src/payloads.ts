import { z } from 'zod';
import { mqttTopics } from './mqtt-topics';
import {
  CONNECTION_STATES,
  LEVELS,
  MODEL_NAMES,
  MONEY_PATTERN,
  PRICE_BASES,
  type ConnectionState,
  type Price,
  type Reading,
} from '@wattline/domain';

/** A validated reading on the stream (`meter.readings`), keyed by meter id. */
export interface ReadingRecord extends Reading {
  regionId: string;
  receivedAt: number;
}

/**
 * A record that could not be processed, with its reason, so nothing is lost: a payload the
 * broker rejected (on `meter.readings.dlq`), or a record a stream consumer could not decode
 * or store (on the `.dlq` topic of the topic it came from, with `source`).
 */
export interface DeadLetterRecord {
  /** The meter, where the record is a meter's (absent for a tariff). */
  meterId?: string;
  /** The MQTT topic it was published to, or the stream topic it came from. */
  topic: string;
  error: string;
  detail: string;
  index?: number;
  /** The offending payload (the element for a batch entry, else the whole payload, as text). */
  payload: string;
  receivedAt: number;
  /** Where on the stream a dead-lettered record was (Kafka: its partition and offset). */
  source?: { topic: string; partition: number; offset: string; key: string | null };
  /** Found after the broker acknowledged it (e.g. `duplicate_conflict`): a broker answers the meter on its errors topic. */
  notifyMeter?: boolean;
}

export interface StatusRecord {
  meterId: string;
  state: ConnectionState;
  since: number;
}

/** Money as a decimal string (never a float): "0.0399", "-12.5". */
export const moneySchema = z.string().regex(MONEY_PATTERN);
/** A time as ISO-8601 with an offset: "2013-12-02T17:00:00.000Z". */
export const isoTimeSchema = z.iso.datetime({ offset: true });
const money = moneySchema;
const isoTime = isoTimeSchema;

/** The contract's price: `prices/{regionId}/current`, the forecast's intervals and the REST API; every price names its tariff. */
export const pricePayloadSchema = z.strictObject({
  regionId: z.string(),
  tariff: z.string(),
  intervalStart: isoTime,
  intervalEnd: isoTime,
  validFrom: isoTime,
  validTo: isoTime,
  price: money,
  priceExTax: money,
  tax: money,
  currency: z.string(),
  unit: z.literal('kWh'),
  level: z.union(LEVELS.map((l) => z.literal(l))),
  firm: z.boolean(),
  basis: z.enum(PRICE_BASES),
  forecastDemandWh: z.number().nullable(),
  forecastSupplyWh: z.number().nullable(),
  model: z.enum(MODEL_NAMES),
  modelVersion: z.number().int(),
  computedAt: isoTime,
});
export type PricePayload = z.infer<typeof pricePayloadSchema>;

/**
 * A firm price on the `tariffs` stream topic: exactly the contract's price (the same JSON as
 * `prices/{regionId}/current` carries), built from a stored tariff by `tariffRecord` alone — the
 * explanation, the feed-in price and the outbox columns stay in PostgreSQL and the REST API.
 */
export type TariffRecord = PricePayload;

/** A price as it was announced: what every price payload is built from. */
type AnnouncedPrice = Price & { computedAt: number };

/** The one mapping from a stored tariff to its stream record. */
export function tariffRecord(tariff: AnnouncedPrice): TariffRecord {
  return pricePayload(tariff);
}

/**
 * The `tariffs` record key: one per region, tariff and interval, so compaction keeps every priced
 * interval of every tariff (a region-only key kept one price per region). Partitioned by region
 * (`tariffPartitionKey`), so one region's prices stay in order on one partition.
 */
export function tariffStreamKey(tariff: Pick<Price, 'regionId' | 'tariff' | 'intervalStart'>): string {
  return `${tariff.regionId}/${tariff.tariff}/${new Date(tariff.intervalStart).toISOString()}`;
}

export function tariffPartitionKey(tariff: Pick<Price, 'regionId'>): string {
  return tariff.regionId;
}

/** `prices/{regionId}/forecast`: the firm schedule announced at the cut-off (from the interval now running to the end of the new day). */
export const forecastPayloadSchema = z.strictObject({
  regionId: z.string(),
  publishedAt: isoTime,
  intervals: z.array(pricePayloadSchema),
});
export type ForecastPayload = z.infer<typeof forecastPayloadSchema>;

const energyAndCost = z.strictObject({ consumptionWh: z.number(), generationWh: z.number(), cost: money, shadowCost: money.nullable() });

/** `households/{meterId}/summary`: a household's energy and cost today and in the last interval, against the shadow bill, and its protection cap. */
export const householdSummaryPayloadSchema = z.strictObject({
  meterId: z.string(),
  regionId: z.string(),
  currency: z.string(),
  at: isoTime,
  today: energyAndCost.extend({ from: isoTime }),
  lastInterval: energyAndCost.extend({ intervalStart: isoTime, intervalEnd: isoTime, price: money.nullable() }).nullable(),
  protection: z.strictObject({ capPerYear: money, used: money, remaining: money }).nullable(),
});
export type HouseholdSummaryPayload = z.infer<typeof householdSummaryPayloadSchema>;

/**
 * An announcement on `price.announcements` (keyed by the MQTT topic it is for): what the broker
 * publishes retained on `prices/{regionId}/current`, `/forecast`, or a household's
 * `households/{meterId}/summary`. `seq` grows with every announcement, so a replayed or
 * reordered record never replaces a newer one.
 */
/**
 * What a retained topic must hold. A price announcement of a tariff other than the region's
 * default names it (`tariff`): it goes on `prices/{region}/{tariff}/…`; the default's has none.
 */
export type AnnouncementRecord =
  | { seq: number; regionId: string; tariff?: string; kind: 'current'; payload: PricePayload }
  | { seq: number; regionId: string; tariff?: string; kind: 'forecast'; payload: ForecastPayload }
  | { seq: number; regionId: string; kind: 'household'; meterId: string; payload: HouseholdSummaryPayload };

/** The MQTT topic an announcement is retained on. */
export function announcementTopic(a: Pick<AnnouncementRecord, 'kind' | 'regionId'> & { meterId?: string; tariff?: string }): string {
  if (a.kind === 'current') return mqttTopics.currentPrice(a.regionId, a.tariff);
  if (a.kind === 'forecast') return mqttTopics.forecast(a.regionId, a.tariff);
  return mqttTopics.householdSummary(a.meterId!);
}

export function toReadingRecord(reading: Reading, regionId: string, receivedAt: number): ReadingRecord {
  // Spelled out rather than spread: one object of a fixed shape per reading on the broker's hot path.
  const record: ReadingRecord = {
    meterId: reading.meterId,
    ts: reading.ts,
    periodS: reading.periodS,
    consumptionWh: reading.consumptionWh,
    generationWh: reading.generationWh,
    seq: reading.seq,
    regionId,
    receivedAt,
  };
  // Only a meter whose counter restarted names its epoch: every other record keeps the one shape.
  if (reading.seqEpoch !== undefined) record.seqEpoch = reading.seqEpoch;
  return record;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The contract's price payload for `prices/{regionId}/current`, the forecast and the REST API. */
export function pricePayload(tariff: AnnouncedPrice): PricePayload {
  return {
    regionId: tariff.regionId,
    tariff: tariff.tariff,
    intervalStart: iso(tariff.intervalStart),
    intervalEnd: iso(tariff.intervalEnd),
    validFrom: iso(tariff.validFrom),
    validTo: iso(tariff.validTo),
    price: tariff.price,
    priceExTax: tariff.priceExTax,
    tax: tariff.tax,
    currency: tariff.currency,
    unit: tariff.unit,
    level: tariff.level,
    firm: tariff.firm,
    basis: tariff.basis,
    forecastDemandWh: tariff.forecastDemandWh,
    forecastSupplyWh: tariff.forecastSupplyWh,
    model: tariff.model,
    modelVersion: tariff.modelVersion,
    computedAt: iso(tariff.computedAt),
  };
}

export function forecastPayload(regionId: string, publishedAt: number, tariffs: AnnouncedPrice[]): ForecastPayload {
  return { regionId, publishedAt: iso(publishedAt), intervals: tariffs.map(pricePayload) };
}

export function statusPayload(status: StatusRecord) {
  return { state: status.state, since: iso(status.since) };
}

export function errorPayload(letter: Pick<DeadLetterRecord, 'error' | 'detail' | 'topic' | 'index'>) {
  return {
    error: letter.error,
    detail: letter.detail,
    topic: letter.topic,
    ...(letter.index === undefined ? {} : { index: letter.index }),
  };
}

const meterStatus = z.strictObject({
  state: z.enum(CONNECTION_STATES),
  since: z.iso.datetime({ offset: true }).optional(),
});

/**
 * A status a meter may publish on its own `meters/{id}/status`, or leave as its will:
 * `{"state":"online"|"offline","since"?:ISO-8601}`, nothing else (it is retained for every
 * subscriber to read).
 */
export function isMeterStatusPayload(payload: Buffer | string): boolean {
  try {
    return meterStatus.safeParse(JSON.parse(payload.toString())).success;
  } catch {
    return false;
  }
}
