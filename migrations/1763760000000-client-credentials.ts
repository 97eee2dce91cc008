import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * MQTT credentials that are not devices: back-office service clients and household displays.
 * Each may only subscribe, and only within its own topic filters.
 */
export class ClientCredentials1763760000000 implements MigrationInterface {
  name = 'ClientCredentials1763760000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE client_credentials (
        id                 text PRIMARY KEY,
        kind               text NOT NULL CHECK (kind IN ('service', 'display')),
        name               text NOT NULL,
        meter_id           text REFERENCES meters(id),
        subscribe_filters  text[] NOT NULL,
        password_hash      text NOT NULL,
        created_at         timestamptz NOT NULL DEFAULT now(),
        revoked_at         timestamptz
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE client_credentials');
  }
}
