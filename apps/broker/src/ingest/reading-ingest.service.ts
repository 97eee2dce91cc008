import { Inject, Injectable, Logger } from '@nestjs/common';
import { toReadingRecord, type DeadLetterRecord } from '@wattline/contracts';
import { DEFAULT_READING_LIMITS, parseReadingPayload } from '@wattline/domain';
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

  async ingest(meterId: string, regionId: string, topic: string, payload: Buffer): Promise<DeadLetterRecord[]> {
    const now = this.clock.now();
    const text = payload.toString('utf8');
    const { accepted, rejected } = parseReadingPayload(meterId, text, now, DEFAULT_READING_LIMITS);
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
        accepted.map((reading) => ({ key: meterId, value: toReadingRecord(reading, regionId, now) })),
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
