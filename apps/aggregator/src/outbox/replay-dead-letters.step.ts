import { Inject, Injectable, Logger } from '@nestjs/common';
import { decodeStreamRecord, type DeadLetterRecord, type ReadingRecord } from '@wattline/contracts';
import {
  DEFAULT_READING_LIMITS,
  spansMove,
  parseReadingPayload,
  regionAt,
  validateReading,
  type Meter,
  type RegionPeriod,
} from '@wattline/domain';
import { CatalogRepository, DeadLettersRepository, MeterMovesRepository, type StoredDeadLetter } from '@wattline/persistence';
import { STREAM, type StreamPort } from '@wattline/stream';

/** Replays taken per pass, and how long a claim lasts before another aggregator may take it. */
const BATCH = 100;
const LEASE_MS = 60_000;

export type ReplayDecision = { records: ReadingRecord[] } | { refused: string };

/**
 * What replaying a readings dead letter hands to `meter.readings`, judged as the broker judged
 * it but with today's rules (the fix being replayed for) and at the time it was received: a
 * record the aggregator could not store goes back as it was; a payload the broker refused is
 * validated again for its meter, which must still exist and not be revoked. All or nothing: a
 * payload with one reading still wrong is refused whole, with the reason.
 */
export function replayReadings(
  letter: DeadLetterRecord,
  meter: Pick<Meter, 'regionId' | 'revokedAt'> | null,
  regionPlan: RegionPeriod[] = meter ? [{ regionId: meter.regionId, from: null }] : [],
): ReplayDecision {
  if (letter.source) {
    const decoded = decodeStreamRecord<ReadingRecord>('readings', letter.payload);
    return decoded.ok ? { records: [decoded.value] } : { refused: `${decoded.reason}: ${decoded.detail}` };
  }
  if (!letter.meterId) return { refused: 'no meter: nothing to validate it for' };
  if (!meter) return { refused: `meter ${letter.meterId} is not provisioned` };
  if (meter.revokedAt !== null) return { refused: `meter ${letter.meterId} is revoked` };
  // In the region of the reading's time, as the broker counts it (a household that moved counts in each region in turn).
  const enrich = (r: Omit<ReadingRecord, 'regionId' | 'receivedAt'>): ReadingRecord => ({
    ...r,
    regionId: regionAt(regionPlan, r.ts - 1),
    receivedAt: letter.receivedAt,
  });
  if (letter.index !== undefined) {
    let element: unknown;
    try {
      element = JSON.parse(letter.payload);
    } catch {
      return { refused: 'invalid_json: the element is not JSON' };
    }
    const result = validateReading(letter.meterId, element, letter.receivedAt, DEFAULT_READING_LIMITS);
    if ('error' in result) return { refused: `${result.error}: ${result.detail}` };
    const across = spansMove(regionPlan, result);
    return across ? { refused: `invalid_period: ${across}` } : { records: [enrich(result)] };
  }
  const parsed = parseReadingPayload(letter.meterId, letter.payload, letter.receivedAt, DEFAULT_READING_LIMITS);
  if (parsed.rejected.length > 0) {
    const [first] = parsed.rejected;
    return { refused: `${first.error}: ${first.detail}${parsed.rejected.length > 1 ? ` (and ${parsed.rejected.length - 1} more)` : ''}` };
  }
  for (const reading of parsed.accepted) {
    const across = spansMove(regionPlan, reading);
    if (across) return { refused: `invalid_period: the reading ending ${new Date(reading.ts).toISOString()}: ${across}` };
  }
  return { records: parsed.accepted.map(enrich) };
}

/**
 * Step 6b: replays the dead letters an admin asked for (POST /v1/dead-letters/replay). Claimed
 * with a lease, judged, produced to `meter.readings` with no transaction open, then the outcome
 * written. A replayed reading is stored (or refused) as any other: a duplicate is not counted
 * twice, and one that fails again comes back to the archive, where its letter counts a sighting
 * more. Only readings are replayed: status, tariffs and announcements are re-derived from
 * PostgreSQL (the catalogue, the tariffs outbox, the retained restore), never from a letter.
 */
@Injectable()
export class ReplayDeadLettersStep {
  private readonly logger = new Logger(ReplayDeadLettersStep.name);

  constructor(
    private readonly letters: DeadLettersRepository,
    private readonly catalog: CatalogRepository,
    private readonly moves: MeterMovesRepository,
    @Inject(STREAM) private readonly stream: StreamPort,
  ) {}

  async run(): Promise<number> {
    const claimed = await this.letters.claimReplays(BATCH, LEASE_MS);
    for (const stored of claimed) await this.replay(stored);
    return claimed.length;
  }

  private async replay({ id, stream, letter }: StoredDeadLetter): Promise<void> {
    if (stream !== 'readings') {
      await this.letters.recordReplay(id, `refused: ${stream} letters are not replayed (the platform re-derives them from PostgreSQL)`);
      return;
    }
    const meter = letter.meterId ? await this.catalog.getMeter(letter.meterId) : null;
    const plan = meter ? (await this.moves.regionPlans([meter.id])).get(meter.id) : undefined;
    const decision = replayReadings(letter, meter, plan);
    if ('refused' in decision) {
      await this.letters.recordReplay(id, `refused: ${decision.refused}`);
      return;
    }
    await this.stream.publish(
      'readings',
      decision.records.map((r) => ({ key: r.meterId, value: r })),
    );
    await this.letters.recordReplay(id, `republished: ${decision.records.length} reading${decision.records.length === 1 ? '' : 's'}`);
    this.logger.log(`dead letter ${id} replayed: ${decision.records.length} readings of ${letter.meterId}`);
  }
}
