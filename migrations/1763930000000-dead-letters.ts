import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every dead letter, in both stream modes, kept where operators can read it: its stream, the
 * topic it came from, the reason, the payload and its time. One row per letter however often the
 * stream delivers it (`fingerprint`); a letter seen again after a replay counts `times_seen`. A
 * replay is requested here by the API and carried out by the aggregator (a lease, then the
 * outcome), so the API never produces to the stream.
 */
export class DeadLetters1763930000000 implements MigrationInterface {
  name = 'DeadLetters1763930000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE dead_letters (
        id                  bigserial PRIMARY KEY,
        stream              text NOT NULL,
        fingerprint         text NOT NULL,
        meter_id            text,
        topic               text NOT NULL,
        error               text NOT NULL,
        detail              text NOT NULL,
        element_index       integer,
        payload             text NOT NULL,
        source              jsonb,
        received_at         timestamptz NOT NULL,
        first_seen_at       timestamptz NOT NULL DEFAULT now(),
        last_seen_at        timestamptz NOT NULL DEFAULT now(),
        times_seen          integer NOT NULL DEFAULT 1,
        replay_requested_at timestamptz,
        replay_lease_until  timestamptz,
        replayed_at         timestamptz,
        replay_outcome      text,
        UNIQUE (stream, fingerprint)
      )`);
    await db.query(`CREATE INDEX dead_letters_received ON dead_letters (received_at)`);
    await db.query(`CREATE INDEX dead_letters_meter ON dead_letters (meter_id, id)`);
    await db.query(
      `CREATE INDEX dead_letters_replay_due ON dead_letters (replay_requested_at) WHERE replay_requested_at IS NOT NULL AND replayed_at IS NULL`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE dead_letters`);
  }
}
