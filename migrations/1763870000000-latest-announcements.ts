import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The newest announcement of each retained topic, found by index: a broker that starts with
 * empty retained state (embedded mode, or a fresh instance) publishes them before it accepts
 * the first device, one index probe per region and kind and per household.
 */
export class LatestAnnouncements1763870000000 implements MigrationInterface {
  name = 'LatestAnnouncements1763870000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX price_announcements_region_latest_idx ON price_announcements (region_id, kind, seq DESC)`);
    await db.query(
      `CREATE INDEX price_announcements_household_latest_idx ON price_announcements (meter_id, seq DESC) WHERE kind = 'household'`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX price_announcements_household_latest_idx`);
    await db.query(`DROP INDEX price_announcements_region_latest_idx`);
  }
}
