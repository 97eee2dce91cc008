import type { DomainErrorCode } from './errors';

/** One validated measurement from a meter or inverter. Energies in watt-hours. */
export interface Reading {
  meterId: string;
  /** End of the measured period, epoch milliseconds (UTC). */
  ts: number;
  periodS: number;
  consumptionWh: number;
  generationWh: number;
  seq: number | null;
  /**
   * Which run of the meter's `seq` counter this is: a meter whose counter restarts (a firmware
   * update) sends the next epoch, so `(seqEpoch, seq)` names a reading. Absent: epoch 0.
   */
  seqEpoch?: number;
}

export interface RejectedReading {
  error: DomainErrorCode;
  detail: string;
  /** Position in a `{"readings":[…]}` batch; absent for a single reading or a whole payload. */
  index?: number;
  /** The offending batch element, kept so the dead letter carries it without parsing again. */
  element?: unknown;
}

export interface ParsedReadings {
  accepted: Reading[];
  rejected: RejectedReading[];
}

export interface ReadingLimits {
  maxBatch: number;
  /** How far ahead of the receiver's clock a timestamp may be (meter clocks drift). */
  maxFutureSkewMs: number;
  /** The longest period one reading may cover. */
  maxPeriodS: number;
  /** Upper bound for one reading's energy, per field: 1 MWh catches unit mistakes (kWh sent as Wh×1000…). */
  maxEnergyWh: number;
}

export const DEFAULT_READING_LIMITS: ReadingLimits = {
  maxBatch: 500,
  maxFutureSkewMs: 5 * 60_000,
  maxPeriodS: 24 * 3600,
  maxEnergyWh: 1_000_000,
};

/** How deep a batch element may nest (a reading is depth 1). */
export const MAX_ELEMENT_DEPTH = 4;

// Earliest accepted timestamp: 2000-01-01. Catches seconds sent where milliseconds are expected.
const MIN_TS = Date.UTC(2000, 0, 1);
const ALLOWED_FIELDS = new Set(['ts', 'periodS', 'consumptionWh', 'generationWh', 'seq', 'seqEpoch']);
/** The highest seq epoch: an int column; a meter restarts its counter far fewer times. */
export const MAX_SEQ_EPOCH = 2 ** 31 - 1;

/**
 * Decodes an MQTT readings payload: a single reading or `{"readings":[…]}`.
 * Every element is judged on its own, so one bad reading in a backlog batch does not
 * cost the good ones; nothing is dropped without a reason.
 */
export function parseReadingPayload(
  meterId: string,
  payload: string,
  nowMs: number,
  limits: ReadingLimits = DEFAULT_READING_LIMITS,
): ParsedReadings {
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    return { accepted: [], rejected: [{ error: 'invalid_json', detail: 'payload is not valid JSON' }] };
  }
  if (!isPlainObject(body)) {
    return { accepted: [], rejected: [{ error: 'invalid_payload', detail: 'payload must be a JSON object' }] };
  }
  if (!('readings' in body)) {
    const result = validateReading(meterId, body, nowMs, limits);
    return 'error' in result ? { accepted: [], rejected: [result] } : { accepted: [result], rejected: [] };
  }
  const items = body.readings;
  if (!Array.isArray(items)) {
    return { accepted: [], rejected: [{ error: 'invalid_payload', detail: '"readings" must be an array' }] };
  }
  // A reading that also carries "readings" is neither: refused rather than read as an empty batch.
  const extra = Object.keys(body).find((key) => key !== 'readings');
  if (extra !== undefined) {
    return {
      accepted: [],
      rejected: [{ error: 'invalid_payload', detail: `a batch is {"readings":[…]} alone; unexpected field "${extra}"` }],
    };
  }
  if (items.length === 0) {
    return { accepted: [], rejected: [{ error: 'invalid_payload', detail: 'a batch holds at least one reading' }] };
  }
  if (items.length > limits.maxBatch) {
    return {
      accepted: [],
      rejected: [{ error: 'batch_too_large', detail: `a batch holds at most ${limits.maxBatch} readings, got ${items.length}` }],
    };
  }
  const parsed: ParsedReadings = { accepted: [], rejected: [] };
  items.forEach((item: unknown, index) => {
    // A reading is flat; anything nested deeper is refused before any recursive work (the dead
    // letter then carries the payload's text instead of a re-serialised element).
    if (nestedDeeperThan(item, MAX_ELEMENT_DEPTH)) {
      parsed.rejected.push({ error: 'invalid_payload', detail: `a reading must not nest deeper than ${MAX_ELEMENT_DEPTH} levels`, index });
      return;
    }
    const result = validateReading(meterId, item, nowMs, limits);
    if ('error' in result) parsed.rejected.push({ ...result, index, element: item });
    else parsed.accepted.push(result);
  });
  return parsed;
}

/** Validates one reading object; returns the reading or the first reason it is rejected. */
export function validateReading(
  meterId: string,
  input: unknown,
  nowMs: number,
  limits: ReadingLimits = DEFAULT_READING_LIMITS,
): Reading | RejectedReading {
  if (!isPlainObject(input)) return { error: 'invalid_payload', detail: 'a reading must be a JSON object' };
  for (const key of Object.keys(input)) {
    if (!ALLOWED_FIELDS.has(key)) return { error: 'invalid_payload', detail: `unknown field "${key}"` };
  }
  const ts = parseTimestamp(input.ts);
  if (ts === null) return { error: 'invalid_timestamp', detail: '"ts" must be an ISO-8601 time with offset or epoch milliseconds' };
  if (ts < MIN_TS) return { error: 'invalid_timestamp', detail: '"ts" is before 2000-01-01 (seconds sent as milliseconds?)' };
  if (ts > nowMs + limits.maxFutureSkewMs) {
    return { error: 'timestamp_in_future', detail: `"ts" is more than ${limits.maxFutureSkewMs / 1000} s ahead of the platform clock` };
  }
  const { periodS } = input;
  if (typeof periodS !== 'number' || !Number.isInteger(periodS) || periodS <= 0 || periodS > limits.maxPeriodS) {
    return { error: 'invalid_period', detail: `"periodS" must be an integer from 1 to ${limits.maxPeriodS}` };
  }
  const hasConsumption = input.consumptionWh !== undefined;
  const hasGeneration = input.generationWh !== undefined;
  if (!hasConsumption && !hasGeneration) {
    return { error: 'missing_energy', detail: 'a reading needs "consumptionWh" or "generationWh"' };
  }
  for (const field of ['consumptionWh', 'generationWh'] as const) {
    const value = input[field];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > limits.maxEnergyWh) {
      return { error: 'invalid_energy', detail: `"${field}" must be a number of watt-hours from 0 to ${limits.maxEnergyWh}` };
    }
    // Energies are kept to the milliwatt-hour (numeric(16,3)): finer would be rounded away in silence.
    if (Number(value.toFixed(3)) !== value) {
      return { error: 'invalid_energy', detail: `"${field}" has more than three decimals (the resolution is 0.001 Wh)` };
    }
  }
  const { seq } = input;
  if (seq !== undefined && (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0)) {
    return { error: 'invalid_seq', detail: '"seq" must be a non-negative integer' };
  }
  const { seqEpoch } = input;
  if (seqEpoch !== undefined) {
    if (typeof seqEpoch !== 'number' || !Number.isSafeInteger(seqEpoch) || seqEpoch < 0 || seqEpoch > MAX_SEQ_EPOCH)
      return { error: 'invalid_seq', detail: `"seqEpoch" must be an integer from 0 to ${MAX_SEQ_EPOCH}` };
    if (seq === undefined) return { error: 'invalid_seq', detail: '"seqEpoch" numbers a run of the "seq" counter: send it with "seq"' };
  }
  return {
    meterId,
    ts,
    periodS,
    consumptionWh: hasConsumption ? (input.consumptionWh as number) : 0,
    generationWh: hasGeneration ? (input.generationWh as number) : 0,
    seq: seq === undefined ? null : (seq as number),
    // Epoch 0 is the absent one: a reading names it only when its counter has restarted.
    ...(seqEpoch === undefined || seqEpoch === 0 ? {} : { seqEpoch: seqEpoch as number }),
  };
}

// ISO-8601 with an explicit offset (Z or ±hh:mm): a time without one is ambiguous across meters.
const ISO_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-](\d{2}):?(\d{2}))$/;

function parseTimestamp(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null;
  if (typeof value !== 'string') return null;
  const m = ISO_WITH_OFFSET.exec(value);
  if (!m) return null;
  // Date.parse rolls 2026-02-30 over to 2 March; a date that is not on the calendar is refused.
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return null;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * True when `value` nests objects or arrays deeper than `maxDepth`. Iterative, and it stops
 * at the first level past the bound, so a 5,000-level element costs a handful of steps.
 * (V8's JSON.parse is iterative too; JSON.stringify is not, and overflows the stack.)
 */
export function nestedDeeperThan(value: unknown, maxDepth: number): boolean {
  let level: unknown[] = [value];
  for (let depth = 0; level.length > 0; depth++) {
    const next: unknown[] = [];
    for (const node of level) {
      if (typeof node !== 'object' || node === null) continue;
      if (depth >= maxDepth) return true;
      for (const child of Object.values(node)) next.push(child);
    }
    level = next;
  }
  return false;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
