import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Raw readings are kept READINGS_RETENTION_MONTHS: whole monthly partitions are dropped once every
 * interval before their end is closed (their sums, bills and prices are kept). `horizon` is the
 * end of the newest month dropped: a reading before it is refused (dead-lettered), so a month
 * once dropped is never re-created and its final sums never change. reading_seqs is pruned with
 * each month by its reading time (a partitioned reading_seqs could not keep (meter, seq) unique
 * across months: PostgreSQL requires the partition key in every unique constraint).
 */
export class ReadingsRetention1763960000000 implements MigrationInterface {
  name = 'ReadingsRetention1763960000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `CREATE TABLE readings_retention (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), horizon timestamptz NOT NULL)`,
    );
    // One row from the start: every store takes it FOR SHARE, the drop FOR UPDATE (they serialise on it).
    await db.query(`INSERT INTO readings_retention (only_row, horizon) VALUES (true, '-infinity')`);
    await db.query(`CREATE INDEX reading_seqs_reading_ts ON reading_seqs (reading_ts)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX reading_seqs_reading_ts`);
    await db.query(`DROP TABLE readings_retention`);
  }
}
