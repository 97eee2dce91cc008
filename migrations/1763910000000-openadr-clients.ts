import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * OpenADR 3 clients of the VTN: VENs (a charger, a heat pump, a home energy manager), each
 * enrolled for its tariff's program, and business-logic clients (read all). Each holds its
 * client secret's hash and its current access token's (one at a time; the VTN's MQTT broker
 * checks the token as the VEN's password).
 */
export class OpenAdrClients1763910000000 implements MigrationInterface {
  name = 'OpenAdrClients1763910000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE openadr_clients (
        client_id         text PRIMARY KEY,
        name              text NOT NULL UNIQUE,
        role              text NOT NULL CHECK (role IN ('ven', 'bl')),
        secret_hash       text NOT NULL,
        targets           text[] NOT NULL,
        subscribe_filters text[] NOT NULL,
        token_hash        text,
        token_expires_at  timestamptz,
        created_at        timestamptz NOT NULL DEFAULT now(),
        revoked_at        timestamptz
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE openadr_clients`);
  }
}
