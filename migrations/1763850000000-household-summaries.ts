import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Announcements may also be a household's summary (retained on `households/{meterId}/summary`). */
export class HouseholdSummaries1763850000000 implements MigrationInterface {
  name = 'HouseholdSummaries1763850000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE price_announcements ADD COLUMN meter_id text`);
    await db.query(`ALTER TABLE price_announcements DROP CONSTRAINT price_announcements_kind_check`);
    await db.query(
      `ALTER TABLE price_announcements ADD CONSTRAINT price_announcements_kind_check CHECK (kind IN ('current', 'forecast', 'household') AND (kind = 'household') = (meter_id IS NOT NULL))`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DELETE FROM price_announcements WHERE kind = 'household'`);
    await db.query(`ALTER TABLE price_announcements DROP CONSTRAINT price_announcements_kind_check`);
    await db.query(`ALTER TABLE price_announcements ADD CONSTRAINT price_announcements_kind_check CHECK (kind IN ('current', 'forecast'))`);
    await db.query(`ALTER TABLE price_announcements DROP COLUMN meter_id`);
  }
}
