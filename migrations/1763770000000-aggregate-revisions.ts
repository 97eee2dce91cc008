import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Late data leaves a trail: an interval's aggregate gets a version, and every revision by
 * readings that arrived after the interval was priced is recorded with who made it, when,
 * and the deltas. Published prices never change.
 */
export class AggregateRevisions1763770000000 implements MigrationInterface {
  name = 'AggregateRevisions1763770000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE interval_aggregates ADD COLUMN version integer NOT NULL DEFAULT 1`);
    await db.query(`
      CREATE TABLE aggregate_revisions (
        region_id        text NOT NULL,
        interval_start   timestamptz NOT NULL,
        version          integer NOT NULL,
        demand_delta_wh  numeric(18,3) NOT NULL,
        supply_delta_wh  numeric(18,3) NOT NULL,
        readings_delta   integer NOT NULL,
        reason           text NOT NULL,
        revised_by       text NOT NULL,
        revised_at       timestamptz NOT NULL,
        PRIMARY KEY (region_id, interval_start, version),
        FOREIGN KEY (region_id, interval_start) REFERENCES interval_aggregates (region_id, interval_start)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE aggregate_revisions');
    await db.query('ALTER TABLE interval_aggregates DROP COLUMN version');
  }
}
