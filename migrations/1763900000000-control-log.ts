import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The control log: every revocation and every change of what a credential may read, written in
 * the transaction that makes it. The push on the control bus is the fast path; brokers also
 * read this log every second, so a broker that missed the push (Redis pub/sub delivers to whoever
 * listens at that moment) or shares no Redis with the API still acts on it.
 */
export class ControlLog1763900000000 implements MigrationInterface {
  name = 'ControlLog1763900000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE control_events (
        seq       bigserial PRIMARY KEY,
        type      text NOT NULL CHECK (type IN ('credential-revoked', 'credential-changed')),
        username  text NOT NULL,
        at        timestamptz NOT NULL
      )`);
    await db.query(`CREATE INDEX control_events_at_idx ON control_events (at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE control_events`);
  }
}
