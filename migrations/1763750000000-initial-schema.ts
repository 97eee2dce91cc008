import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The walking skeleton's schema. Energies are numeric (exact decimal sums, to the Wh);
 * prices are numeric(12,4). Readings are de-duplicated by their primary key
 * (meter, reading time) and, when the meter numbers them, by (meter, seq).
 */
export class InitialSchema1763750000000 implements MigrationInterface {
  name = 'InitialSchema1763750000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE regions (
        id          text PRIMARY KEY,
        name        text NOT NULL,
        timezone    text NOT NULL DEFAULT 'UTC',
        pricing     jsonb NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE meters (
        id               text PRIMARY KEY,
        region_id        text NOT NULL REFERENCES regions(id),
        kind             text NOT NULL CHECK (kind IN ('meter', 'inverter')),
        password_hash    text NOT NULL,
        created_at       timestamptz NOT NULL DEFAULT now(),
        revoked_at       timestamptz,
        online           boolean NOT NULL DEFAULT false,
        status_since     timestamptz,
        last_reading_at  timestamptz
      )`);
    await db.query(`CREATE INDEX meters_region_idx ON meters (region_id, id)`);
    await db.query(`
      CREATE TABLE readings (
        meter_id        text NOT NULL,
        reading_ts      timestamptz NOT NULL,
        region_id       text NOT NULL,
        interval_start  timestamptz NOT NULL,
        period_s        integer NOT NULL,
        consumption_wh  numeric(14,3) NOT NULL,
        generation_wh   numeric(14,3) NOT NULL,
        seq             bigint,
        received_at     timestamptz NOT NULL,
        late            boolean NOT NULL DEFAULT false,
        PRIMARY KEY (meter_id, reading_ts)
      )`);
    await db.query(`CREATE UNIQUE INDEX readings_meter_seq_uq ON readings (meter_id, seq) WHERE seq IS NOT NULL`);
    await db.query(`CREATE INDEX readings_region_interval_idx ON readings (region_id, interval_start)`);
    await db.query(`
      CREATE TABLE meter_intervals (
        meter_id        text NOT NULL,
        interval_start  timestamptz NOT NULL,
        interval_end    timestamptz NOT NULL,
        region_id       text NOT NULL,
        consumption_wh  numeric(16,3) NOT NULL,
        generation_wh   numeric(16,3) NOT NULL,
        readings        integer NOT NULL,
        PRIMARY KEY (meter_id, interval_start)
      )`);
    await db.query(`
      CREATE TABLE interval_aggregates (
        region_id         text NOT NULL REFERENCES regions(id),
        interval_start    timestamptz NOT NULL,
        interval_end      timestamptz NOT NULL,
        demand_wh         numeric(18,3) NOT NULL,
        supply_wh         numeric(18,3) NOT NULL,
        readings          integer NOT NULL,
        meters_reporting  integer NOT NULL,
        late_readings     integer NOT NULL DEFAULT 0,
        closed_at         timestamptz,
        updated_at        timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (region_id, interval_start)
      )`);
    await db.query(`CREATE INDEX interval_aggregates_open_idx ON interval_aggregates (region_id) WHERE closed_at IS NULL`);
    await db.query(`
      CREATE TABLE region_watermarks (
        region_id        text PRIMARY KEY REFERENCES regions(id),
        watermark        timestamptz NOT NULL,
        last_arrival_at  timestamptz NOT NULL
      )`);
    await db.query(`
      CREATE TABLE tariffs (
        region_id       text NOT NULL REFERENCES regions(id),
        interval_start  timestamptz NOT NULL,
        interval_end    timestamptz NOT NULL,
        price           numeric(12,4) NOT NULL,
        currency        text NOT NULL,
        level           smallint NOT NULL CHECK (level BETWEEN 1 AND 5),
        demand_wh       numeric(18,3) NOT NULL,
        supply_wh       numeric(18,3) NOT NULL,
        model           text NOT NULL,
        computed_at     timestamptz NOT NULL,
        published_at    timestamptz,
        PRIMARY KEY (region_id, interval_start)
      )`);
    await db.query(`CREATE INDEX tariffs_unpublished_idx ON tariffs (computed_at) WHERE published_at IS NULL`);
    await db.query(`
      CREATE TABLE api_keys (
        id          uuid PRIMARY KEY,
        name        text NOT NULL,
        role        text NOT NULL CHECK (role IN ('admin', 'analyst')),
        key_hash    text NOT NULL UNIQUE,
        created_at  timestamptz NOT NULL DEFAULT now(),
        revoked_at  timestamptz
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of [
      'api_keys',
      'tariffs',
      'region_watermarks',
      'interval_aggregates',
      'meter_intervals',
      'readings',
      'meters',
      'regions',
    ]) {
      await db.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
