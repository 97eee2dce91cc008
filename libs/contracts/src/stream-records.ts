import { z } from 'zod';
import { CONNECTION_STATES, MAX_SEQ_EPOCH } from '@wattline/domain';
import type { StreamTopic } from './kafka-topics';
import {
  forecastPayloadSchema,
  householdSummaryPayloadSchema,
  pricePayloadSchema,
  type AnnouncementRecord,
  type DeadLetterRecord,
  type ReadingRecord,
  type StatusRecord,
} from './payloads';

/**
 * The shape of every record on the stream, checked where records come off it: a record that
 * does not parse or does not fit is dead-lettered by the stream adapter instead of reaching a
 * handler that would fail on it forever. Each schema is tied to its payload type (payloads.ts),
 * so the two cannot drift apart.
 */
const epochMs = z.number().int().safe();
const energy = z.number().finite().min(0);

const readingRecord: z.ZodType<ReadingRecord> = z.strictObject({
  meterId: z.string().min(1),
  regionId: z.string().min(1),
  ts: epochMs,
  periodS: z.number().int().positive(),
  consumptionWh: energy,
  generationWh: energy,
  seq: z.number().int().min(0).safe().nullable(),
  seqEpoch: z.number().int().min(0).max(MAX_SEQ_EPOCH).optional(),
  receivedAt: epochMs,
});

const statusRecord: z.ZodType<StatusRecord> = z.strictObject({
  meterId: z.string().min(1),
  state: z.enum(CONNECTION_STATES),
  since: epochMs,
});

const announcementRecord: z.ZodType<AnnouncementRecord> = z.union([
  z.strictObject({
    seq: z.number().int().safe(),
    regionId: z.string().min(1),
    tariff: z.string().min(1).optional(),
    kind: z.literal('current'),
    payload: pricePayloadSchema,
  }),
  z.strictObject({
    seq: z.number().int().safe(),
    regionId: z.string().min(1),
    tariff: z.string().min(1).optional(),
    kind: z.literal('forecast'),
    payload: forecastPayloadSchema,
  }),
  z.strictObject({
    seq: z.number().int().safe(),
    regionId: z.string().min(1),
    kind: z.literal('household'),
    meterId: z.string().min(1),
    payload: householdSummaryPayloadSchema,
  }),
]);

const deadLetterRecord: z.ZodType<DeadLetterRecord> = z.strictObject({
  meterId: z.string().optional(),
  topic: z.string(),
  error: z.string(),
  detail: z.string(),
  index: z.number().int().optional(),
  payload: z.string(),
  receivedAt: epochMs,
  source: z.strictObject({ topic: z.string(), partition: z.number().int(), offset: z.string(), key: z.string().nullable() }).optional(),
  notifyMeter: z.boolean().optional(),
});

const SCHEMAS: Record<StreamTopic, z.ZodType> = {
  readings: readingRecord,
  readingsDeadLetter: deadLetterRecord,
  status: statusRecord,
  statusDeadLetter: deadLetterRecord,
  tariffs: pricePayloadSchema,
  tariffsDeadLetter: deadLetterRecord,
  announcements: announcementRecord,
  announcementsDeadLetter: deadLetterRecord,
};

/**
 * Where a record of a topic goes when it cannot be processed. A dead-letter topic has none of
 * its own: a record there that cannot be read is counted and logged by the consumer.
 */
export const DEAD_LETTER_TOPIC = {
  readings: 'readingsDeadLetter',
  status: 'statusDeadLetter',
  tariffs: 'tariffsDeadLetter',
  announcements: 'announcementsDeadLetter',
  readingsDeadLetter: null,
  announcementsDeadLetter: null,
  statusDeadLetter: null,
  tariffsDeadLetter: null,
} as const satisfies Record<StreamTopic, StreamTopic | null>;

/** The topics that carry DeadLetterRecords. */
export type DeadLetterTopic = NonNullable<(typeof DEAD_LETTER_TOPIC)[StreamTopic]>;

/** Why a record was dead-lettered by the stream (the `error` of its DeadLetterRecord). */
export type PoisonReason = 'unparseable' | 'invalid_schema' | 'unprocessable';

export type DecodedRecord<T> = { ok: true; value: T } | { ok: false; reason: PoisonReason; detail: string };

/** Decodes one record's text: JSON, then the topic's schema. Never throws. */
export function decodeStreamRecord<T>(topic: StreamTopic, text: string | null): DecodedRecord<T> {
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch (error) {
    return { ok: false, reason: 'unparseable', detail: `not JSON: ${(error as Error).message}` };
  }
  const result = SCHEMAS[topic].safeParse(value);
  if (result.success) return { ok: true, value: result.data as T };
  const issue = result.error.issues[0];
  return { ok: false, reason: 'invalid_schema', detail: `${issue.path.join('.') || '(record)'}: ${issue.message}` };
}
