import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bills get the same trail as aggregates: a meter's interval energy has a version, and each
 * revision by readings that arrived after the interval was priced is recorded with its deltas,
 * its writer and its time, so a bill that changes says why.
 */
export class BillRevisions1763790000000 implements MigrationInterface {
  name = 'BillRevisions1763790000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE meter_intervals ADD COLUMN version integer NOT NULL DEFAULT 1`);
    await db.query(`
      CREATE TABLE meter_interval_revisions (
        meter_id               text NOT NULL,
        interval_start         timestamptz NOT NULL,
        version                integer NOT NULL,
        consumption_delta_wh   numeric(16,3) NOT NULL,
        generation_delta_wh    numeric(16,3) NOT NULL,
        readings_delta         integer NOT NULL,
        reason                 text NOT NULL,
        revised_by             text NOT NULL,
        revised_at             timestamptz NOT NULL,
        PRIMARY KEY (meter_id, interval_start, version),
        FOREIGN KEY (meter_id, interval_start) REFERENCES meter_intervals (meter_id, interval_start)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE meter_interval_revisions');
    await db.query('ALTER TABLE meter_intervals DROP COLUMN version');
  }
}
