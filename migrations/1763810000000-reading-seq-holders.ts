import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A numbered reading's identity (meter, seq) remembers which stored reading holds it
 * (`reading_ts`), so a reading that repeats a seq with other content is found with two key
 * lookups and answered `duplicate_conflict` instead of being dropped as a duplicate.
 */
export class ReadingSeqHolders1763810000000 implements MigrationInterface {
  name = 'ReadingSeqHolders1763810000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE reading_seqs ADD COLUMN reading_ts timestamptz`);
    await db.query(`
      UPDATE reading_seqs s SET reading_ts = r.reading_ts
        FROM readings r WHERE r.meter_id = s.meter_id AND r.seq = s.seq`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE reading_seqs DROP COLUMN reading_ts`);
  }
}
