import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A meter may belong to a named cohort (a tariff group: the dynamic tariff, or the control group on the flat one) for response analysis. */
export class MeterCohorts1763840000000 implements MigrationInterface {
  name = 'MeterCohorts1763840000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE meters ADD COLUMN cohort text`);
    await db.query(`CREATE INDEX meters_region_cohort_idx ON meters (region_id, cohort)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX meters_region_cohort_idx`);
    await db.query(`ALTER TABLE meters DROP COLUMN cohort`);
  }
}
