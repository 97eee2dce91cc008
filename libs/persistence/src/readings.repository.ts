// Long on purpose: the only SQL on the readings family (readings, reading_seqs, meter_intervals and their
// revisions); the store is one statement of ~100 lines that must stay whole to stay exactly-once.
import { returnedRows } from './rows';
import type { DataSource } from 'typeorm';
import type { ReadingRecord } from '@wattline/contracts';
import {
  apportionReading,
  assignInterval,
  storedWh,
  type BillLineRevision,
  type MeterIntervalEnergy,
  type Page,
  type ResponsePanel,
  type StoredReading,
  type TariffRef,
} from '@wattline/domain';
import { rangePage } from './cursor';
import { REGION_LOCK_NAMESPACE } from './intervals.repository';

export interface StoreResult {
  /** Readings new to the platform (the rest were duplicates: redelivery, replays). */
  inserted: number;
  /** Exact repeats of stored readings: acknowledged, counted once. */
  duplicates: number;
  /** Inserted readings whose interval was already closed and priced. */
  late: number;
  /** Readings whose identity (meter and seq, or meter and time) a different stored reading holds. */
  conflicts: ReadingConflict[];
  /** Readings whose period begins before the retention horizon: not stored (their month is final and its raw readings dropped). */
  beyondRetention: ReadingRecord[];
}

/** A reading that was not stored because another one holds its identity. */
export interface ReadingConflict {
  reading: ReadingRecord;
  heldBy: { ts: number; seq: number | null; consumptionWh: number; generationWh: number };
}

/**
 * The ingest hot path. One transaction stores a batch of readings and folds only the rows
 * that were really inserted into the per-meter and per-region interval sums, so a reading
 * delivered twice is counted once. Sums are computed by PostgreSQL in numeric: exact to the Wh.
 */
/** A timestamptz as pg answers it: a Date, or ±Infinity for ±infinity (null then: no horizon). */
function timeOrNull(value: unknown): number | null {
  const ms = value instanceof Date ? value.getTime() : Number(value);
  return Number.isFinite(ms) ? ms : null;
}

export class ReadingsRepository {
  /** Months whose partition is known to exist (one dropped by retention is never stored in again: the horizon refuses it). */
  private readonly partitions = new Set<string>();

  constructor(private readonly dataSource: DataSource) {}

  /**
   * Creates the monthly partitions a batch needs, outside the batch's transaction (DDL takes
   * locks the data path should not hold). Two replicas may race to create one: that is fine.
   */
  private async ensurePartitions(records: ReadingRecord[]): Promise<void> {
    const months = new Set(records.map((r) => new Date(r.ts).toISOString().slice(0, 7)));
    for (const month of months) {
      if (this.partitions.has(month)) continue;
      const [year, mm] = month.split('-').map(Number);
      const from = new Date(Date.UTC(year, mm - 1, 1)).toISOString();
      const to = new Date(Date.UTC(year, mm, 1)).toISOString();
      try {
        await this.dataSource.query(
          `CREATE TABLE IF NOT EXISTS readings_${year}_${String(mm).padStart(2, '0')} PARTITION OF readings FOR VALUES FROM ('${from}') TO ('${to}')`,
        );
      } catch (error) {
        // 42P07 duplicate table / 23505 catalog race: another replica created it first.
        if (!['42P07', '23505'].includes((error as { driverError?: { code?: string } }).driverError?.code ?? '')) throw error;
      }
      this.partitions.add(month);
    }
  }

  /** `revisedBy` names the writer in the revision trail of late data (e.g. `aggregator@host:pid`). */
  async storeBatch(all: ReadingRecord[], intervalSeconds: number, nowMs: number, revisedBy = 'aggregator'): Promise<StoreResult> {
    // A month dropped by retention is final: what falls before the horizon is handed back, never
    // stored (nor its partition created again). Checked again under the horizon's row lock below.
    const horizon = await this.retentionHorizon();
    const beyondRetention = horizon === null ? [] : all.filter((r) => r.ts - r.periodS * 1000 < horizon);
    const records = beyondRetention.length === 0 ? all : all.filter((r) => r.ts - r.periodS * 1000 >= horizon!);
    if (records.length === 0) return { inserted: 0, duplicates: 0, late: 0, conflicts: [], beyondRetention };
    await this.ensurePartitions(records);
    const cols = {
      meterId: [] as string[],
      ts: [] as Date[],
      regionId: [] as string[],
      intervalStart: [] as Date[],
      periodS: [] as number[],
      consumption: [] as string[],
      generation: [] as string[],
      seq: [] as (string | null)[],
      seqEpoch: [] as number[],
      receivedAt: [] as Date[],
    };
    // Each reading's energy over the intervals its period covers (apportionReading): what the interval sums fold in.
    const parts = {
      meterId: [] as string[],
      ts: [] as Date[],
      periodS: [] as number[],
      consumption: [] as string[],
      generation: [] as string[],
      intervalStart: [] as Date[],
      shareConsumption: [] as string[],
      shareGeneration: [] as string[],
    };
    for (const r of records) {
      const start = assignInterval(r.ts, intervalSeconds).start;
      // A reading inside one interval (the common case) is its own share, folded from the row itself.
      const consumption = storedWh(r.consumptionWh);
      const generation = storedWh(r.generationWh);
      if (r.ts - r.periodS * 1000 < start)
        for (const share of apportionReading(r, intervalSeconds)) {
          parts.meterId.push(r.meterId);
          parts.ts.push(new Date(r.ts));
          parts.periodS.push(r.periodS);
          parts.consumption.push(consumption);
          parts.generation.push(generation);
          parts.intervalStart.push(new Date(share.intervalStart));
          parts.shareConsumption.push(share.consumptionWh);
          parts.shareGeneration.push(share.generationWh);
        }
      cols.meterId.push(r.meterId);
      cols.ts.push(new Date(r.ts));
      cols.regionId.push(r.regionId);
      cols.intervalStart.push(new Date(start));
      cols.periodS.push(r.periodS);
      cols.consumption.push(consumption);
      cols.generation.push(generation);
      cols.seq.push(r.seq === null ? null : String(r.seq));
      cols.seqEpoch.push(r.seqEpoch ?? 0);
      cols.receivedAt.push(new Date(r.receivedAt));
    }
    return this.dataSource.transaction(async (tx) => {
      // Shared with other stores, exclusive against a close of the same region (intervals.repository).
      // Taken in a statement of its own, so the next one's snapshot sees every close committed
      // before the lock was granted: `late` and the sums then agree with the price.
      await tx.query(
        `SELECT pg_advisory_xact_lock_shared($1, hashtext(region_id)) FROM (SELECT DISTINCT unnest($2::text[]) AS region_id ORDER BY 1) r`,
        [REGION_LOCK_NAMESPACE, [...new Set(cols.regionId)]],
      );
      // Shared with other stores, exclusive against a retention drop: a horizon moved since it was read fails the
      // batch with a serialization failure, which the consumer retries (then against the new horizon).
      const [held] = await tx.query(`SELECT horizon FROM readings_retention FOR SHARE`);
      if (held && timeOrNull(held.horizon) !== horizon)
        throw Object.assign(new Error('the retention horizon moved while the batch was being stored'), { code: '40001' });
      const [counts] = await tx.query(
        `WITH incoming AS (
           SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::timestamptz[], $5::int[],
                                $6::numeric[], $7::numeric[], $8::bigint[], $9::timestamptz[], $21::int[])
             AS t(meter_id, reading_ts, region_id, interval_start, period_s, consumption_wh, generation_wh, seq, received_at, seq_epoch)
         ),
         -- Within the batch, a numbered reading counts once whatever times it was resent with.
         candidates AS (
           SELECT * FROM (SELECT DISTINCT ON (meter_id, seq_epoch, seq) * FROM incoming WHERE seq IS NOT NULL
                           ORDER BY meter_id, seq_epoch, seq, reading_ts) numbered
           UNION ALL
           SELECT * FROM incoming WHERE seq IS NULL
         ),
         -- A numbered reading claims its (meter, epoch, seq) first; one already claimed is a duplicate.
         seqs AS (
           INSERT INTO reading_seqs (meter_id, seq_epoch, seq, reading_ts)
           SELECT meter_id, seq_epoch, seq, reading_ts FROM candidates WHERE seq IS NOT NULL
           ON CONFLICT DO NOTHING
           RETURNING meter_id, seq_epoch, seq
         ),
         ins AS (
           INSERT INTO readings (meter_id, reading_ts, region_id, interval_start, period_s, consumption_wh,
                                 generation_wh, seq, received_at, late)
           SELECT i.meter_id, i.reading_ts, i.region_id, i.interval_start, i.period_s, i.consumption_wh,
                  i.generation_wh, i.seq, i.received_at, a.closed_at IS NOT NULL
             FROM candidates i
             LEFT JOIN interval_aggregates a ON a.region_id = i.region_id AND a.interval_start = i.interval_start
            WHERE i.seq IS NULL OR (i.meter_id, i.seq_epoch, i.seq) IN (SELECT meter_id, seq_epoch, seq FROM seqs)
           ON CONFLICT DO NOTHING
           RETURNING meter_id, reading_ts, region_id, interval_start, period_s, consumption_wh, generation_wh, late
         ),
         -- The inserted readings' energy in each interval their periods cover, each share late if its
         -- own interval is closed: a reading inside one interval is its own share; one spread over
         -- several has the shares computed for it ($13…), matched on content too, so of two incoming
         -- readings at one meter and time only the inserted one's count, and an exact repeat's once.
         shares AS (
           SELECT meter_id, region_id, interval_start, consumption_wh, generation_wh, late
             FROM ins WHERE reading_ts - make_interval(secs => period_s) >= interval_start
           UNION ALL
           (SELECT DISTINCT ON (i.meter_id, i.reading_ts, p.interval_start)
                  i.meter_id, i.region_id, p.interval_start, p.consumption_wh, p.generation_wh, a.closed_at IS NOT NULL AS late
             FROM ins i
             JOIN unnest($13::text[], $14::timestamptz[], $15::int[], $16::numeric[], $17::numeric[],
                         $18::timestamptz[], $19::numeric[], $20::numeric[])
                  AS p(meter_id, reading_ts, period_s, total_consumption_wh, total_generation_wh, interval_start, consumption_wh, generation_wh)
                  ON p.meter_id = i.meter_id AND p.reading_ts = i.reading_ts AND p.period_s = i.period_s
                 AND p.total_consumption_wh = i.consumption_wh AND p.total_generation_wh = i.generation_wh
             LEFT JOIN interval_aggregates a ON a.region_id = i.region_id AND a.interval_start = p.interval_start
            WHERE i.reading_ts - make_interval(secs => i.period_s) < i.interval_start
            ORDER BY i.meter_id, i.reading_ts, p.interval_start)
         ),
         per_meter AS (
           INSERT INTO meter_intervals AS m (meter_id, interval_start, interval_end, region_id, consumption_wh, generation_wh, readings)
           SELECT meter_id, interval_start, interval_start + make_interval(secs => $10), region_id,
                  sum(consumption_wh), sum(generation_wh), count(*)
             FROM shares GROUP BY meter_id, interval_start, region_id
            ORDER BY meter_id, interval_start -- rows locked in one order by every writer: fewer deadlocks
           ON CONFLICT (meter_id, interval_start) DO UPDATE
             SET consumption_wh = m.consumption_wh + excluded.consumption_wh,
                 generation_wh  = m.generation_wh + excluded.generation_wh,
                 readings       = m.readings + excluded.readings,
                 -- late energy revises a bill line as a new version (the trail is below)
                 version        = m.version + (SELECT (count(*) > 0)::int FROM shares l
                                                WHERE l.late AND l.meter_id = excluded.meter_id AND l.interval_start = excluded.interval_start)
           RETURNING meter_id, region_id, interval_start, version, (xmax = 0) AS first_reading
         ),
         meter_late AS (
           SELECT meter_id, interval_start, sum(consumption_wh) AS consumption, sum(generation_wh) AS generation, count(*) AS n
             FROM shares WHERE late GROUP BY meter_id, interval_start
         ),
         meter_revisions AS (
           INSERT INTO meter_interval_revisions (meter_id, interval_start, version, consumption_delta_wh, generation_delta_wh,
                                                 readings_delta, reason, revised_by, revised_at)
           SELECT p.meter_id, p.interval_start, p.version, l.consumption, l.generation, l.n, 'late readings', $11, $12
             FROM per_meter p JOIN meter_late l USING (meter_id, interval_start)
           RETURNING 1
         ),
         per_region AS (
           INSERT INTO interval_aggregates AS a (region_id, interval_start, interval_end, demand_wh, supply_wh,
                                                 readings, meters_reporting, late_readings)
           SELECT i.region_id, i.interval_start, i.interval_start + make_interval(secs => $10),
                  sum(i.consumption_wh), sum(i.generation_wh), count(*),
                  (SELECT count(*) FROM per_meter p
                    WHERE p.region_id = i.region_id AND p.interval_start = i.interval_start AND p.first_reading),
                  count(*) FILTER (WHERE i.late)
             FROM shares i GROUP BY i.region_id, i.interval_start
            ORDER BY i.region_id, i.interval_start
           ON CONFLICT (region_id, interval_start) DO UPDATE
             SET demand_wh        = a.demand_wh + excluded.demand_wh,
                 supply_wh        = a.supply_wh + excluded.supply_wh,
                 readings         = a.readings + excluded.readings,
                 meters_reporting = a.meters_reporting + excluded.meters_reporting,
                 late_readings    = a.late_readings + excluded.late_readings,
                 -- each batch of late readings is a new version of a priced interval
                 version          = a.version + (excluded.late_readings > 0)::int,
                 updated_at       = now()
           RETURNING a.region_id, a.interval_start, a.version
         ),
         late_sums AS (
           SELECT region_id, interval_start, sum(consumption_wh) AS demand, sum(generation_wh) AS supply, count(*) AS n
             FROM shares WHERE late GROUP BY region_id, interval_start
         ),
         revisions AS (
           INSERT INTO aggregate_revisions (region_id, interval_start, version, demand_delta_wh, supply_delta_wh,
                                            readings_delta, reason, revised_by, revised_at)
           SELECT p.region_id, p.interval_start, p.version, l.demand, l.supply, l.n, 'late readings', $11, $12
             FROM per_region p JOIN late_sums l USING (region_id, interval_start)
           RETURNING 1
         )
         SELECT (SELECT count(*) FROM ins)::int AS inserted,
                (SELECT count(*) FROM ins WHERE late)::int AS late,
                (SELECT count(*) FROM per_region)::int AS intervals,
                (SELECT count(*) FROM revisions)::int AS revisions,
                (SELECT count(*) FROM meter_revisions)::int AS meter_revisions`,
        [
          cols.meterId,
          cols.ts,
          cols.regionId,
          cols.intervalStart,
          cols.periodS,
          cols.consumption,
          cols.generation,
          cols.seq,
          cols.receivedAt,
          intervalSeconds,
          revisedBy,
          new Date(nowMs),
          parts.meterId,
          parts.ts,
          parts.periodS,
          parts.consumption,
          parts.generation,
          parts.intervalStart,
          parts.shareConsumption,
          parts.shareGeneration,
          cols.seqEpoch,
        ],
      );
      // Event time per region (the watermark) and presence per meter advance with every batch,
      // duplicates included: a redelivered reading still proves the meter reached us. A reading
      // moves the watermark no further than the time it arrived: one meter whose clock runs
      // fast (inside the accepted skew) cannot close its region's intervals early. A replay of
      // old data is unaffected (its readings arrive long after their time).
      await tx.query(
        // The event clock (libs/domain advanceEventClock): the watermark only grows, and so does its lead over the
        // store's time — a backlog stored late moves neither, so the region's time never goes back.
        `INSERT INTO region_watermarks AS w (region_id, watermark, last_arrival_at, clock_lead_ms)
         SELECT region_id, max(least(ts, received_at)), $4, round(extract(epoch FROM max(least(ts, received_at)) - $4) * 1000)
           FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) AS t(region_id, ts, received_at) GROUP BY region_id
         ON CONFLICT (region_id) DO UPDATE
           SET watermark = greatest(w.watermark, excluded.watermark), last_arrival_at = excluded.last_arrival_at,
               clock_lead_ms = greatest(w.clock_lead_ms, round(extract(epoch FROM greatest(w.watermark, excluded.watermark) - excluded.last_arrival_at) * 1000))`,
        [cols.regionId, cols.ts, cols.receivedAt, new Date(nowMs)],
      );
      await tx.query(
        `UPDATE meters m SET last_reading_at = greatest(m.last_reading_at, t.ts)
           FROM (SELECT meter_id, max(ts) AS ts FROM unnest($1::text[], $2::timestamptz[]) AS u(meter_id, ts) GROUP BY meter_id) t
          WHERE m.id = t.meter_id`,
        [cols.meterId, cols.ts],
      );
      // Whatever was not inserted is an exact repeat or a conflict: tell them apart (two key
      // lookups a reading, and only when something was not inserted).
      const conflicts = counts.inserted === records.length ? [] : await this.findConflicts(tx, records, cols);
      return {
        inserted: counts.inserted,
        duplicates: records.length - counts.inserted - conflicts.length,
        late: counts.late,
        conflicts,
        beyondRetention,
      };
    });
  }

  /**
   * Incoming readings held by a different stored reading: the one their seq points to, or the
   * one at their time. Run after the insert, in its transaction, so each incoming reading is
   * either stored itself (and compares equal) or was kept out by another.
   */
  private async findConflicts(
    tx: { query(sql: string, params: unknown[]): Promise<Record<string, unknown>[]> },
    records: ReadingRecord[],
    cols: { meterId: string[]; ts: Date[]; seq: (string | null)[]; seqEpoch: number[]; consumption: string[]; generation: string[] },
  ): Promise<ReadingConflict[]> {
    const rows = await tx.query(
      `SELECT i.n, r.reading_ts, r.seq, r.consumption_wh, r.generation_wh
         FROM unnest($1::text[], $2::timestamptz[], $3::bigint[], $4::numeric[], $5::numeric[], $6::int[]) WITH ORDINALITY
              AS i(meter_id, reading_ts, seq, consumption_wh, generation_wh, seq_epoch, n)
         LEFT JOIN reading_seqs s ON i.seq IS NOT NULL AND s.meter_id = i.meter_id AND s.seq_epoch = i.seq_epoch AND s.seq = i.seq
         JOIN readings r ON r.meter_id = i.meter_id AND r.reading_ts = coalesce(s.reading_ts, i.reading_ts)
        WHERE (r.reading_ts, r.seq, r.consumption_wh, r.generation_wh)
              IS DISTINCT FROM (i.reading_ts, i.seq, i.consumption_wh::numeric(16,3), i.generation_wh::numeric(16,3))`,
      [cols.meterId, cols.ts, cols.seq, cols.consumption, cols.generation, cols.seqEpoch],
    );
    return rows.map((r) => ({
      reading: records[Number(r.n) - 1],
      heldBy: {
        ts: (r.reading_ts as Date).getTime(),
        seq: r.seq === null ? null : Number(r.seq),
        consumptionWh: Number(r.consumption_wh),
        generationWh: Number(r.generation_wh),
      },
    }));
  }

  /**
   * A meter's `seq` counter restarted (a firmware update): the numbers it claimed are released, so
   * new readings count again; the readings stored stay, with their numbers. How many were released.
   */
  async releaseSeqs(meterId: string): Promise<number> {
    const released: unknown[] = returnedRows(
      await this.dataSource.query(`DELETE FROM reading_seqs WHERE meter_id = $1 RETURNING seq`, [meterId]),
    );
    return released.length;
  }

  /** The end of the newest month of raw readings dropped (a reading before it is refused); null: none dropped. */
  async retentionHorizon(): Promise<number | null> {
    const [row]: { horizon: unknown }[] = await this.dataSource.query(`SELECT horizon FROM readings_retention`);
    return row ? timeOrNull(row.horizon) : null;
  }

  /** The monthly partitions of readings that end at or before `upTo`, oldest first (their names carry their month). */
  async monthsEndingBy(upTo: number): Promise<{ name: string; from: number; to: number }[]> {
    const rows: { name: string }[] = await this.dataSource.query(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname = 'readings' ORDER BY c.relname`,
    );
    return rows
      .map((r) => /^readings_(\d{4})_(\d{2})$/.exec(r.name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ name: m[0], from: Date.UTC(Number(m[1]), Number(m[2]) - 1, 1), to: Date.UTC(Number(m[1]), Number(m[2]), 1) }))
      .filter((p) => p.to <= upTo);
  }

  /** Whether any interval starting before `upTo` is still open (its sums, and so its bills, may still change). */
  async openIntervalsBefore(upTo: number): Promise<boolean> {
    const [row]: { open: boolean }[] = await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM interval_aggregates WHERE closed_at IS NULL AND interval_start < $1) AS open`,
      [new Date(upTo)],
    );
    return row.open;
  }

  /**
   * Drops one month of raw readings: the horizon moves to its end first (in the same
   * transaction, under the row every store shares), then the month's seq claims go and the
   * partition with them.
   */
  async dropMonth(month: { name: string; to: number }): Promise<void> {
    if (!/^readings_\d{4}_\d{2}$/.test(month.name)) throw new Error(`not a readings partition: ${month.name}`);
    await this.dataSource.transaction(async (tx) => {
      // Waits for every store holding the row (FOR SHARE) to commit; stores after this one see the new horizon.
      await tx.query(`SELECT horizon FROM readings_retention FOR UPDATE`);
      const moved = returnedRows(
        await tx.query(`UPDATE readings_retention SET horizon = greatest(horizon, $1) RETURNING horizon`, [new Date(month.to)]),
      );
      if (moved.length !== 1) throw new Error('readings_retention has no row: migration 1763960000000 did not run');
      await tx.query(`DELETE FROM reading_seqs WHERE reading_ts < $1`, [new Date(month.to)]);
      await tx.query(`DROP TABLE ${month.name}`);
    });
    this.partitions.delete(new Date(month.to - 1).toISOString().slice(0, 7));
  }

  readingsPage(meterId: string, from: number, to: number, limit: number, cursor?: string): Promise<Page<StoredReading>> {
    return rangePage(
      this.dataSource,
      {
        from: 'meter_id, reading_ts, period_s, consumption_wh, generation_wh, seq, received_at, late FROM readings',
        owner: ['meter_id', meterId],
        time: 'reading_ts',
        range: { from, to },
        limit,
        cursor,
      },
      (r) => ({
        meterId: r.meter_id as string,
        ts: (r.reading_ts as Date).getTime(),
        periodS: r.period_s as number,
        consumptionWh: Number(r.consumption_wh),
        generationWh: Number(r.generation_wh),
        seq: r.seq === null ? null : Number(r.seq),
        receivedAt: (r.received_at as Date).getTime(),
        late: r.late as boolean,
      }),
      (r) => r.ts,
    );
  }

  /**
   * Per-interval energy of a household, for bills: its meter's lines with its inverters' added
   * (their generation is the home's export), each line's version counting every revision of
   * either, and the late-data trail of both in the order it happened.
   */
  async meterIntervals(meterId: string, from: number, to: number): Promise<MeterIntervalEnergy[]> {
    const rows = await this.dataSource.query(
      `WITH devices AS (SELECT id FROM meters WHERE id = $1 OR household_id = $1),
       lines AS (
         SELECT interval_start, max(interval_end) AS interval_end, sum(consumption_wh) AS consumption_wh,
                sum(generation_wh) AS generation_wh, 1 + sum(version - 1)::int AS version
           FROM meter_intervals
          WHERE meter_id IN (SELECT id FROM devices) AND interval_start >= $2 AND interval_start < $3
          GROUP BY interval_start
       )
       SELECT l.*,
              coalesce((SELECT json_agg(json_build_object('version', 1 + r.n, 'consumptionDeltaWh', r.consumption_delta_wh::float,
                                  'generationDeltaWh', r.generation_delta_wh::float, 'readingsDelta', r.readings_delta, 'reason', r.reason,
                                  'revisedBy', r.revised_by, 'revisedAt', r.revised_at) ORDER BY r.n)
                          FROM (SELECT *, row_number() OVER (ORDER BY revised_at, meter_id, version) AS n
                                  FROM meter_interval_revisions
                                 WHERE meter_id IN (SELECT id FROM devices) AND interval_start = l.interval_start) r), '[]') AS revisions
         FROM lines l
        ORDER BY l.interval_start`,
      [meterId, new Date(from), new Date(to)],
    );
    return rows.map((r: Record<string, unknown>) => ({
      intervalStart: (r.interval_start as Date).getTime(),
      intervalEnd: (r.interval_end as Date).getTime(),
      consumptionWh: Number(r.consumption_wh),
      generationWh: Number(r.generation_wh),
      version: r.version as number,
      revisions: r.revisions as BillLineRevision[],
    }));
  }

  /**
   * Energy per interval of every active household of a region in [from, to), by its meter: the
   * meter's own with its inverters' generation added (an inverter is never a household of its
   * own); households without data get an empty list.
   */
  async regionMeterIntervals(regionId: string, from: number, to: number): Promise<Map<string, MeterIntervalEnergy[]>> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT h.id AS meter_id, mi.interval_start, max(mi.interval_end) AS interval_end,
              sum(mi.consumption_wh) AS consumption_wh, sum(mi.generation_wh) AS generation_wh
         FROM meters h
         JOIN meters d ON d.id = h.id OR d.household_id = h.id
         -- Only what counted in this region: a household that moved here has its account here from its move.
         LEFT JOIN meter_intervals mi ON mi.meter_id = d.id AND mi.region_id = $1 AND mi.interval_start >= $2 AND mi.interval_start < $3
        WHERE h.region_id = $1 AND h.revoked_at IS NULL AND h.kind = 'meter'
        GROUP BY h.id, mi.interval_start
        ORDER BY h.id, mi.interval_start`,
      [regionId, new Date(from), new Date(to)],
    );
    const byMeter = new Map<string, MeterIntervalEnergy[]>();
    for (const r of rows) {
      const list = byMeter.get(r.meter_id as string) ?? [];
      byMeter.set(r.meter_id as string, list);
      if (r.interval_start === null) continue;
      list.push({
        intervalStart: (r.interval_start as Date).getTime(),
        intervalEnd: (r.interval_end as Date).getTime(),
        consumptionWh: Number(r.consumption_wh),
        generationWh: Number(r.generation_wh),
      });
    }
    return byMeter;
  }

  /**
   * The response analysis' panel: consumption per household and interval with the interval's
   * firm price level under the treatment's tariff (`ref`), for meters (not inverters) of the `control` cohort and of the treatment
   * (the `treatment` cohort, or every other named cohort; meters without a cohort are on neither
   * side). Each interval counts in the cohort the meter was in then and in the region it counted
   * in (meter_cohort_changes, meter_intervals.region_id). Observations are capped at `maxObservations` (more: null, the window is too wide).
   */
  async responsePanel(
    ref: TariffRef,
    from: number,
    to: number,
    sides: { control: string; treatment?: string },
    maxObservations: number,
  ): Promise<ResponsePanel | null> {
    // The firm price levels apart, matched here: a join of the two in one statement is planned
    // well only with fresh statistics (a nested loop over every price for every interval without).
    const levels: { t: string; level: number }[] = await this.dataSource.query(
      `SELECT extract(epoch FROM interval_start)::bigint AS t, level FROM tariffs
        WHERE region_id = $1 AND tariff = $2 AND interval_start >= $3 AND interval_start < $4`,
      [ref.regionId, ref.tariff, new Date(from), new Date(to)],
    );
    const levelAt = new Map(levels.map((l) => [Number(l.t), Number(l.level)]));
    const observed: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT meter_id, (cohort = $4) AS control, t, wh FROM (
         SELECT mi.meter_id, extract(epoch FROM mi.interval_start)::bigint AS t, mi.consumption_wh::float AS wh, mi.interval_start,
                -- The cohort the meter was in at the interval: its history once it has one (migration 1763980000000).
                CASE WHEN ch.meter_id IS NULL THEN m.cohort
                     ELSE (SELECT h.cohort FROM meter_cohort_changes h WHERE h.meter_id = mi.meter_id AND h.effective_from <= mi.interval_start
                            ORDER BY h.effective_from DESC LIMIT 1) END AS cohort
           FROM meter_intervals mi
           JOIN meters m ON m.id = mi.meter_id
           LEFT JOIN (SELECT DISTINCT meter_id FROM meter_cohort_changes) ch ON ch.meter_id = m.id
          -- Meters in the region now or once; each interval where it counted (a household may have moved).
          WHERE (m.region_id = $1 OR m.id IN (SELECT meter_id FROM meter_region_changes WHERE region_id = $1))
            AND mi.region_id = $1 AND mi.interval_start >= $2 AND mi.interval_start < $3 AND m.kind = 'meter'
       ) p
        WHERE cohort = $4 OR ($5::text IS NULL AND cohort IS NOT NULL) OR cohort = $5
        ORDER BY meter_id, interval_start -- households numbered in one order: the bootstrap's weights, and so its interval, repeat
        LIMIT $6`,
      [ref.regionId, new Date(from), new Date(to), sides.control, sides.treatment ?? null, maxObservations + 1],
    );
    // An interval without a firm price is no observation (the cap above counts every interval read, priced or not).
    const rows: Record<string, unknown>[] = observed
      .filter((r) => levelAt.has(Number(r.t)))
      .map((r) => ({ ...r, level: levelAt.get(Number(r.t)) }));
    if (rows.length > maxObservations) return null;
    const households = new Map<string, number>();
    const intervals = new Map<number, number>();
    const panel = {
      household: new Int32Array(rows.length),
      interval: new Int32Array(rows.length),
      wh: new Float64Array(rows.length),
      treated: [] as boolean[],
      level: [] as number[],
    };
    rows.forEach((r, o) => {
      // A meter that changed sides (its cohort) is a household on each, with a fixed effect of its own on each.
      const key = `${r.meter_id as string}\u0000${r.control as boolean}`;
      let h = households.get(key);
      if (h === undefined) {
        households.set(key, (h = households.size));
        panel.treated.push(!(r.control as boolean));
      }
      let t = intervals.get(Number(r.t));
      if (t === undefined) {
        intervals.set(Number(r.t), (t = intervals.size));
        panel.level.push(Number(r.level));
      }
      panel.household[o] = h;
      panel.interval[o] = t;
      panel.wh[o] = r.wh as number;
    });
    return panel;
  }
}
