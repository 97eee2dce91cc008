import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { DeadLetterRecord } from '@wattline/contracts';
import type { Page } from '@wattline/domain';
import { decodeCursor, pageOf } from './cursor';
import { returnedRows, type Row } from './rows';

/** The stream a dead letter came off: readings (the broker's refusals and the aggregator's), status, tariffs, announcements. */
export type DeadLetterStream = 'readings' | 'status' | 'tariffs' | 'announcements';

export interface StoredDeadLetter {
  id: string;
  stream: DeadLetterStream;
  letter: DeadLetterRecord;
  firstSeenAt: number;
  lastSeenAt: number;
  timesSeen: number;
  replayRequestedAt: number | null;
  replayedAt: number | null;
  replayOutcome: string | null;
}

export interface DeadLetterFilter {
  stream?: DeadLetterStream;
  error?: string;
  meterId?: string;
  from?: number;
  to?: number;
}

const at = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).getTime());

function stored(r: Row): StoredDeadLetter {
  const letter: DeadLetterRecord = {
    topic: r.topic as string,
    error: r.error as string,
    detail: r.detail as string,
    payload: r.payload as string,
    receivedAt: at(r.received_at)!,
    ...(r.meter_id === null ? {} : { meterId: r.meter_id as string }),
    ...(r.element_index === null ? {} : { index: r.element_index as number }),
    ...(r.source === null ? {} : { source: r.source as DeadLetterRecord['source'] }),
  };
  return {
    id: String(r.id),
    stream: r.stream as DeadLetterStream,
    letter,
    firstSeenAt: at(r.first_seen_at)!,
    lastSeenAt: at(r.last_seen_at)!,
    timesSeen: r.times_seen as number,
    replayRequestedAt: at(r.replay_requested_at),
    replayedAt: at(r.replayed_at),
    replayOutcome: (r.replay_outcome as string | null) ?? null,
  };
}

/** A letter's identity: the same record delivered twice (at least once, a restart) is one row. */
const fingerprint = (letter: DeadLetterRecord) => createHash('sha256').update(JSON.stringify(letter)).digest('hex');

/** The dead letters (migration 1763930000000): archived off the stream, listed, and replayed on request. */
export class DeadLettersRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Keeps letters off one stream; one seen before is counted again (a replay that failed the same way). */
  async archive(stream: DeadLetterStream, letters: DeadLetterRecord[]): Promise<void> {
    if (letters.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO dead_letters (stream, fingerprint, meter_id, topic, error, detail, element_index, payload, source, received_at)
       SELECT $1, l.fingerprint, l.meter_id, l.topic, l.error, l.detail, l.element_index, l.payload, l.source, l.received_at
         FROM jsonb_to_recordset($2::jsonb) AS l(fingerprint text, meter_id text, topic text, error text, detail text,
              element_index integer, payload text, source jsonb, received_at timestamptz)
       ON CONFLICT (stream, fingerprint) DO UPDATE
          SET times_seen = dead_letters.times_seen + 1, last_seen_at = now()`,
      [
        stream,
        JSON.stringify(
          letters.map((l) => ({
            fingerprint: fingerprint(l),
            meter_id: l.meterId ?? null,
            topic: l.topic,
            error: l.error,
            detail: l.detail,
            element_index: l.index ?? null,
            payload: l.payload,
            source: l.source ?? null,
            received_at: new Date(l.receivedAt).toISOString(),
          })),
        ),
      ],
    );
  }

  /** Newest first, a page of them. */
  async page(filter: DeadLetterFilter, limit: number, cursor?: string): Promise<Page<StoredDeadLetter>> {
    const before = decodeCursor<number>(cursor, 'number');
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM dead_letters
        WHERE ($1::text IS NULL OR stream = $1) AND ($2::text IS NULL OR error = $2) AND ($3::text IS NULL OR meter_id = $3)
          AND ($4::timestamptz IS NULL OR received_at >= $4) AND ($5::timestamptz IS NULL OR received_at < $5)
          AND ($6::bigint IS NULL OR id < $6)
        ORDER BY id DESC LIMIT $7`,
      [
        filter.stream ?? null,
        filter.error ?? null,
        filter.meterId ?? null,
        filter.from === undefined ? null : new Date(filter.from),
        filter.to === undefined ? null : new Date(filter.to),
        before,
        limit + 1,
      ],
    );
    return pageOf(rows.map(stored), limit, (l) => Number(l.id));
  }

  /** Letters of a region's meters seen since `sinceMs` (the alerts summary). */
  async countForRegion(regionId: string, sinceMs: number): Promise<number> {
    const [row]: { n: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM dead_letters d JOIN meters m ON m.id = d.meter_id WHERE m.region_id = $1 AND d.last_seen_at >= $2`,
      [regionId, new Date(sinceMs)],
    );
    return Number(row.n);
  }

  /** Asks for these letters to be replayed (again, if they were); answers the ids it knows. */
  async requestReplay(ids: string[]): Promise<{ id: string; stream: DeadLetterStream }[]> {
    const rows: Row[] = returnedRows(
      await this.dataSource.query(
        `UPDATE dead_letters SET replay_requested_at = now(), replayed_at = NULL, replay_outcome = NULL, replay_lease_until = NULL
          WHERE id = ANY($1::bigint[]) RETURNING id, stream`,
        [ids],
      ),
    );
    return rows.map((r) => ({ id: String(r.id), stream: r.stream as DeadLetterStream }));
  }

  /** Claims requested replays for `leaseMs` (another aggregator skips them meanwhile; an expired lease is due again). */
  async claimReplays(limit: number, leaseMs: number): Promise<StoredDeadLetter[]> {
    const rows: Row[] = returnedRows(
      await this.dataSource.query(
        `UPDATE dead_letters d SET replay_lease_until = now() + $2 * interval '1 millisecond'
          WHERE d.id IN (SELECT id FROM dead_letters
                          WHERE replay_requested_at IS NOT NULL AND replayed_at IS NULL
                            AND (replay_lease_until IS NULL OR replay_lease_until < now())
                          ORDER BY replay_requested_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING d.*`,
        [limit, leaseMs],
      ),
    );
    return rows.map(stored);
  }

  /** What a replay did: `republished` (handed to its stream again) or why it was refused. */
  async recordReplay(id: string, outcome: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE dead_letters SET replayed_at = now(), replay_outcome = $2, replay_lease_until = NULL WHERE id = $1`,
      [id, outcome],
    );
  }
}
