import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A region's event clock keeps its lead (the most its watermark was ever ahead of the wall clock
 * at a store, in ms): the region's time is the wall clock plus it, so a backlog stored late can
 * no longer set the price in force back (it moved `last_arrival_at` without the watermark).
 */
export class EventClockLead1763860000000 implements MigrationInterface {
  name = 'EventClockLead1763860000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE region_watermarks ADD COLUMN clock_lead_ms bigint`);
    await db.query(`UPDATE region_watermarks SET clock_lead_ms = round(extract(epoch FROM watermark - last_arrival_at) * 1000)`);
    await db.query(`ALTER TABLE region_watermarks ALTER COLUMN clock_lead_ms SET NOT NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE region_watermarks DROP COLUMN clock_lead_ms`);
  }
}
