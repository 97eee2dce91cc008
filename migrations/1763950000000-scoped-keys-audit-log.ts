import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Household data is personal data: an analyst key may be scoped to regions (`regions`, null: every
 * region), and every read of a household's readings or bill through the API is written to the
 * audit log (which key, what, whose, when), for admins to query.
 */
export class ScopedKeysAuditLog1763950000000 implements MigrationInterface {
  name = 'ScopedKeysAuditLog1763950000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE api_keys ADD COLUMN regions text[]`);
    await db.query(`
      CREATE TABLE audit_log (
        id        bigserial PRIMARY KEY,
        key_id    text NOT NULL,
        key_name  text NOT NULL,
        action    text NOT NULL,
        meter_id  text,
        region_id text,
        path      text NOT NULL,
        at        timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX audit_log_meter ON audit_log (meter_id, id)`);
    await db.query(`CREATE INDEX audit_log_key ON audit_log (key_id, id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE audit_log`);
    await db.query(`ALTER TABLE api_keys DROP COLUMN regions`);
  }
}
