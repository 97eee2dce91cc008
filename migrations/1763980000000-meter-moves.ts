import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A household moves to another region, and a meter to another cohort, from a future interval
 * start. Each table holds a meter's whole history once it has a row: the first, at
 * '-infinity', is where it was before its first change. `meters.region_id` and `meters.cohort`
 * stay the values in force now (the aggregator's tick applies each change once it is due); the
 * tables answer what held at any earlier time (which region a reading counts in, which cohort a
 * household was in for the response analysis, where a bill's account starts).
 */
export class MeterMoves1763980000000 implements MigrationInterface {
  name = 'MeterMoves1763980000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE meter_region_changes (
        meter_id       text NOT NULL REFERENCES meters(id),
        effective_from timestamptz NOT NULL,
        region_id      text NOT NULL REFERENCES regions(id),
        requested_at   timestamptz NOT NULL,
        PRIMARY KEY (meter_id, effective_from)
      )`);
    await db.query(`CREATE INDEX meter_region_changes_region ON meter_region_changes (region_id)`);
    await db.query(`
      CREATE TABLE meter_cohort_changes (
        meter_id       text NOT NULL REFERENCES meters(id),
        effective_from timestamptz NOT NULL,
        cohort         text,
        requested_at   timestamptz NOT NULL,
        PRIMARY KEY (meter_id, effective_from)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE meter_cohort_changes`);
    await db.query(`DROP TABLE meter_region_changes`);
  }
}
