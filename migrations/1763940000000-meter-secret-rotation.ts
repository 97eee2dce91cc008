import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A device's secret rotated with a grace period (the previous one keeps working until
 * `previous_valid_until`), and decommissioning: its credential gone for good, its data kept.
 */
export class MeterSecretRotation1763940000000 implements MigrationInterface {
  name = 'MeterSecretRotation1763940000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE meters
        ADD COLUMN previous_password_hash text,
        ADD COLUMN previous_valid_until timestamptz,
        ADD COLUMN decommissioned_at timestamptz`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(
      `ALTER TABLE meters DROP COLUMN previous_password_hash, DROP COLUMN previous_valid_until, DROP COLUMN decommissioned_at`,
    );
  }
}
