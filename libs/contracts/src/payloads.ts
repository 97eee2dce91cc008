import type { Price, Reading } from '@wattline/domain';

/** A validated reading on the stream (`meter.readings`), keyed by meter id. */
export interface ReadingRecord extends Reading {
  regionId: string;
  receivedAt: number;
}

/** A rejected payload on `meter.readings.dlq` with its reason, so nothing is lost. */
export interface DeadLetterRecord {
  meterId: string;
  topic: string;
  error: string;
  detail: string;
  index?: number;
  /** The offending payload (the element for a batch entry, else the whole payload, as text). */
  payload: string;
  receivedAt: number;
}

export interface StatusRecord {
  meterId: string;
  state: 'online' | 'offline';
  since: number;
}

/** A computed price on `tariffs` (compacted, keyed by region). */
export interface TariffRecord extends Price {
  computedAt: number;
}

export function toReadingRecord(reading: Reading, regionId: string, receivedAt: number): ReadingRecord {
  return { ...reading, regionId, receivedAt };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The contract's price payload for `prices/{regionId}/current` and the REST API. */
export function pricePayload(tariff: TariffRecord) {
  return {
    regionId: tariff.regionId,
    intervalStart: iso(tariff.intervalStart),
    intervalEnd: iso(tariff.intervalEnd),
    price: tariff.price,
    currency: tariff.currency,
    unit: tariff.unit,
    level: tariff.level,
    demandWh: tariff.demandWh,
    supplyWh: tariff.supplyWh,
    model: tariff.model,
    computedAt: iso(tariff.computedAt),
  };
}

export function statusPayload(status: StatusRecord) {
  return { state: status.state, since: iso(status.since) };
}

export function errorPayload(letter: DeadLetterRecord) {
  return {
    error: letter.error,
    detail: letter.detail,
    topic: letter.topic,
    ...(letter.index === undefined ? {} : { index: letter.index }),
  };
}
