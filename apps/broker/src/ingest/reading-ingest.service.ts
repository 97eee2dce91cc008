import { Inject, Injectable, Logger } from '@nestjs/common';
import { toReadingRecord, type DeadLetterRecord } from '@wattline/contracts';
import {
  DEFAULT_READING_LIMITS,
  spansMove,
  parseReadingPayload,
  regionAt,
  type ParsedReadings,
  type Reading,
  type RegionPeriod,
} from '@wattline/domain';
import { CLOCK, Metrics, type Clock } from '@wattline/platform';
import { STREAM, type StreamPort } from '@wattline/stream';

/**
 * Validate → stream. Good readings go to `meter.readings`; every rejected one goes to the
 * dead-letter stream with its reason and is returned so the broker answers the meter on
 * `meters/{id}/errors`. Resolves only once the stream has durably accepted both.
 */
@Injectable()
export class ReadingIngestService {
  private readonly logger = new Logger(ReadingIngestService.name);

  constructor(
    @Inject(STREAM) private readonly stream: StreamPort,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {}

  /**
   * `region`: the meter's region, or its household's region plan when it moved or will: each
   * reading then counts in the region its period lies in, and one whose period spans the move
   * is refused (its energy would be split between two regions' intervals) for the meter to send
   * as two readings, one ending at the move.
   */
  async ingest(meterId: string, region: string | RegionPeriod[], topic: string, payload: Buffer): Promise<DeadLetterRecord[]> {
    const now = this.clock.now();
    const text = payload.toString('utf8');
    const parsed = parseReadingPayload(meterId, text, now, DEFAULT_READING_LIMITS);
    const { accepted, rejected } = typeof region === 'string' ? parsed : splitAtMoves(parsed, region);
    const regionOf = typeof region === 'string' ? () => region : (reading: Reading) => regionAt(region, reading.ts - 1);
    const letters: DeadLetterRecord[] = rejected.map((r) => ({
      meterId,
      topic,
      error: r.error,
      detail: r.detail,
      ...(r.index === undefined ? {} : { index: r.index }),
      // An element within the depth bound is re-serialised (safe); anything else keeps the payload text.
      payload: r.element === undefined ? text : JSON.stringify(r.element),
      receivedAt: now,
    }));
    await Promise.all([
      this.stream.publish(
        'readings',
        accepted.map((reading) => ({ key: meterId, value: toReadingRecord(reading, regionOf(reading), now) })),
      ),
      this.stream.publish(
        'readingsDeadLetter',
        letters.map((letter) => ({ key: meterId, value: letter })),
      ),
    ]);
    this.metrics.readingsAccepted.inc(accepted.length);
    for (const letter of letters) this.metrics.readingsRejected.inc({ error: letter.error });
    if (letters.length > 0) this.logger.debug(`${meterId}: ${letters.length} reading(s) rejected (${letters[0].error})`);
    return letters;
  }
}

/** Readings whose period spans a move of the household refused, with what to send instead. */
function splitAtMoves(parsed: ParsedReadings, plan: RegionPeriod[]): ParsedReadings {
  if (plan.length < 2) return parsed;
  const accepted: Reading[] = [];
  const rejected = [...parsed.rejected];
  for (const reading of parsed.accepted) {
    const detail = spansMove(plan, reading);
    if (detail === null) accepted.push(reading);
    else
      rejected.push({
        error: 'invalid_period',
        detail,
        // As the contract spells a reading, so a replay after the fix reads it as the meter sent it.
        element: {
          ts: new Date(reading.ts).toISOString(),
          periodS: reading.periodS,
          consumptionWh: reading.consumptionWh,
          generationWh: reading.generationWh,
          ...(reading.seq === null ? {} : { seq: reading.seq }),
          ...(reading.seqEpoch === undefined ? {} : { seqEpoch: reading.seqEpoch }),
        },
      });
  }
  return { accepted, rejected };
}
