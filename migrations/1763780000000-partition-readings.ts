import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Readings move to a table partitioned by month of reading time: a city's raw readings grow
 * by the billion, and per-month partitions keep inserts, range queries and retention (DROP a
 * partition) cheap. Partitions are created as data arrives (ReadingsRepository).
 *
 * A unique index on a partitioned table must contain the partition key, so (meter, seq) —
 * the identity of a numbered reading — gets its own small table, claimed in the same
 * statement that stores the reading.
 */
export class PartitionReadings1763780000000 implements MigrationInterface {
  name = 'PartitionReadings1763780000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE readings RENAME TO readings_unpartitioned`);
    await db.query(`ALTER INDEX readings_pkey RENAME TO readings_unpartitioned_pkey`);
    await db.query(`ALTER INDEX readings_region_interval_idx RENAME TO readings_unpartitioned_region_interval_idx`);
    await db.query(`
      CREATE TABLE readings (
        meter_id        text NOT NULL,
        reading_ts      timestamptz NOT NULL,
        region_id       text NOT NULL,
        interval_start  timestamptz NOT NULL,
        period_s        integer NOT NULL,
        consumption_wh  numeric(14,3) NOT NULL,
        generation_wh   numeric(14,3) NOT NULL,
        seq             bigint,
        received_at     timestamptz NOT NULL,
        late            boolean NOT NULL DEFAULT false,
        PRIMARY KEY (meter_id, reading_ts)
      ) PARTITION BY RANGE (reading_ts)`);
    await db.query(`CREATE INDEX readings_region_interval_idx ON readings (region_id, interval_start)`);
    await db.query(`CREATE TABLE reading_seqs (meter_id text NOT NULL, seq bigint NOT NULL, PRIMARY KEY (meter_id, seq))`);
    // Existing rows: one partition per month they cover, then copy.
    await db.query(`
      DO $$
      DECLARE m date;
      BEGIN
        FOR m IN SELECT DISTINCT date_trunc('month', reading_ts AT TIME ZONE 'UTC')::date FROM readings_unpartitioned LOOP
          EXECUTE format('CREATE TABLE %I PARTITION OF readings FOR VALUES FROM (%L) TO (%L)',
            'readings_' || to_char(m, 'YYYY_MM'), (m::timestamp AT TIME ZONE 'UTC'), ((m + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
        END LOOP;
      END $$`);
    await db.query(`INSERT INTO readings SELECT * FROM readings_unpartitioned`);
    await db.query(`INSERT INTO reading_seqs SELECT meter_id, seq FROM readings_unpartitioned WHERE seq IS NOT NULL`);
    await db.query(`DROP TABLE readings_unpartitioned`);
  }

  async down(): Promise<void> {
    throw new Error('PartitionReadings cannot be undone automatically: restore from a backup');
  }
}
