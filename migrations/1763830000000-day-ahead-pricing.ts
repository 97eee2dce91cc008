import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Prices before the consumption. A tariff row is now a price announced before its interval
 * (day-ahead at the region's cut-off, or intraday), with its forecast inputs, tax apart and an
 * explanation to recompute it; the measured outcome of an interval (utilisation, the level it
 * would have had) is recorded on its aggregate when it closes. Rows from before this migration
 * were priced at close from measured sums: they are kept, marked `intraday`, with no
 * explanation. Pricing is versioned per region (effective from a time), critical-peak events,
 * wholesale prices, imported schedules and forecasts get tables, and announcements for
 * displays go through an outbox with a sequence per region.
 */
export class DayAheadPricing1763830000000 implements MigrationInterface {
  name = 'DayAheadPricing1763830000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE tariffs RENAME COLUMN demand_wh TO forecast_demand_wh`);
    await db.query(`ALTER TABLE tariffs RENAME COLUMN supply_wh TO forecast_supply_wh`);
    await db.query(`ALTER TABLE tariffs ALTER COLUMN forecast_demand_wh DROP NOT NULL, ALTER COLUMN forecast_supply_wh DROP NOT NULL`);
    await db.query(`ALTER TABLE tariffs ALTER COLUMN price TYPE numeric(14,6)`);
    await db.query(`
      ALTER TABLE tariffs
        ADD COLUMN valid_from    timestamptz,
        ADD COLUMN valid_to      timestamptz,
        ADD COLUMN price_ex_tax  numeric(14,6),
        ADD COLUMN tax           numeric(14,6) NOT NULL DEFAULT 0,
        ADD COLUMN firm          boolean NOT NULL DEFAULT true,
        ADD COLUMN basis         text NOT NULL DEFAULT 'intraday' CHECK (basis IN ('day-ahead', 'intraday')),
        ADD COLUMN model_version integer NOT NULL DEFAULT 1,
        ADD COLUMN feed_in_price numeric(14,6) NOT NULL DEFAULT 0,
        ADD COLUMN explanation   jsonb`);
    await db.query(`UPDATE tariffs SET valid_from = interval_start, valid_to = interval_end, price_ex_tax = price`);
    await db.query(
      `ALTER TABLE tariffs ALTER COLUMN valid_from SET NOT NULL, ALTER COLUMN valid_to SET NOT NULL, ALTER COLUMN price_ex_tax SET NOT NULL, ALTER COLUMN basis DROP DEFAULT`,
    );

    await db.query(`
      ALTER TABLE interval_aggregates
        ADD COLUMN measured_utilisation double precision,
        ADD COLUMN expost_level smallint CHECK (expost_level BETWEEN 1 AND 5),
        ADD COLUMN outcome_recorded_at timestamptz`);
    await db.query(`UPDATE interval_aggregates SET outcome_recorded_at = closed_at WHERE closed_at IS NOT NULL`);
    await db.query(
      `CREATE INDEX interval_aggregates_outcome_idx ON interval_aggregates (interval_start) WHERE closed_at IS NOT NULL AND outcome_recorded_at IS NULL`,
    );

    await db.query(`
      CREATE TABLE region_pricing (
        region_id      text NOT NULL REFERENCES regions(id),
        version        integer NOT NULL,
        effective_from timestamptz,
        pricing        jsonb NOT NULL,
        created_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (region_id, version)
      )`);
    await db.query(
      `INSERT INTO region_pricing (region_id, version, effective_from, pricing, created_at) SELECT id, 1, NULL, pricing, created_at FROM regions`,
    );

    await db.query(`
      CREATE TABLE region_schedule_state (
        region_id        text PRIMARY KEY REFERENCES regions(id),
        next_day_start   timestamptz,
        current_start    timestamptz,
        current_basis    text,
        current_version  integer
      )`);
    await db.query(`
      CREATE TABLE interval_forecasts (
        region_id      text NOT NULL REFERENCES regions(id),
        interval_start timestamptz NOT NULL,
        interval_end   timestamptz NOT NULL,
        demand_wh      numeric(18,3) NOT NULL,
        supply_wh      numeric(18,3) NOT NULL,
        method         text NOT NULL,
        samples        integer NOT NULL,
        made_at        timestamptz NOT NULL,
        PRIMARY KEY (region_id, interval_start)
      )`);
    await db.query(`
      CREATE TABLE peak_events (
        id           uuid PRIMARY KEY,
        region_id    text NOT NULL REFERENCES regions(id),
        starts_at    timestamptz NOT NULL,
        ends_at      timestamptz NOT NULL CHECK (ends_at > starts_at),
        level        smallint NOT NULL CHECK (level IN (4, 5)),
        reason       text NOT NULL,
        declared_at  timestamptz NOT NULL
      )`);
    await db.query(`CREATE INDEX peak_events_region_idx ON peak_events (region_id, starts_at)`);
    await db.query(`
      CREATE TABLE wholesale_prices (
        region_id      text NOT NULL REFERENCES regions(id),
        interval_start timestamptz NOT NULL,
        price          numeric(14,6) NOT NULL,
        uploaded_at    timestamptz NOT NULL,
        PRIMARY KEY (region_id, interval_start)
      )`);
    await db.query(`
      CREATE TABLE scheduled_prices (
        region_id      text NOT NULL REFERENCES regions(id),
        interval_start timestamptz NOT NULL,
        price          numeric(14,6) NOT NULL,
        band           text,
        uploaded_at    timestamptz NOT NULL,
        PRIMARY KEY (region_id, interval_start)
      )`);
    await db.query(`
      CREATE TABLE price_announcements (
        seq           bigserial PRIMARY KEY,
        region_id     text NOT NULL REFERENCES regions(id),
        kind          text NOT NULL CHECK (kind IN ('current', 'forecast')),
        payload       jsonb NOT NULL,
        created_at    timestamptz NOT NULL,
        published_at  timestamptz,
        claimed_by    text,
        claimed_until timestamptz
      )`);
    await db.query(`CREATE INDEX price_announcements_unpublished_idx ON price_announcements (seq) WHERE published_at IS NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of [
      'price_announcements',
      'scheduled_prices',
      'wholesale_prices',
      'peak_events',
      'interval_forecasts',
      'region_schedule_state',
      'region_pricing',
    ]) {
      await db.query(`DROP TABLE ${table}`);
    }
    await db.query(`DROP INDEX interval_aggregates_outcome_idx`);
    await db.query(
      `ALTER TABLE interval_aggregates DROP COLUMN measured_utilisation, DROP COLUMN expost_level, DROP COLUMN outcome_recorded_at`,
    );
    await db.query(`DELETE FROM tariffs WHERE forecast_demand_wh IS NULL OR forecast_supply_wh IS NULL`);
    await db.query(
      `ALTER TABLE tariffs DROP COLUMN valid_from, DROP COLUMN valid_to, DROP COLUMN price_ex_tax, DROP COLUMN tax, DROP COLUMN firm, DROP COLUMN basis, DROP COLUMN model_version, DROP COLUMN feed_in_price, DROP COLUMN explanation`,
    );
    await db.query(`ALTER TABLE tariffs ALTER COLUMN price TYPE numeric(12,4)`);
    await db.query(`ALTER TABLE tariffs ALTER COLUMN forecast_demand_wh SET NOT NULL, ALTER COLUMN forecast_supply_wh SET NOT NULL`);
    await db.query(`ALTER TABLE tariffs RENAME COLUMN forecast_demand_wh TO demand_wh`);
    await db.query(`ALTER TABLE tariffs RENAME COLUMN forecast_supply_wh TO supply_wh`);
  }
}
