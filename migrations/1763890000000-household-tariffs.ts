import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables whose rows belong to one tariff of a region, with the primary key they get. */
const PER_TARIFF: [table: string, key: string][] = [
  ['region_pricing', 'region_id, tariff, version'],
  ['tariffs', 'region_id, tariff, interval_start'],
  ['scheduled_prices', 'region_id, tariff, interval_start'],
  ['region_schedule_state', 'region_id, tariff'],
];

/**
 * Tariffs per household. A region offers one or more tariffs (a tariff exists once it has a
 * pricing version), one of them its default (on `prices/{region}/current|forecast`); each has
 * its own versions, imported schedule, firm prices and schedule state. A meter is on a tariff
 * from its provisioning (`meters.tariff`) and moves only from a future interval start
 * (`meter_tariff_changes`). Existing regions' one tariff becomes their default, `dynamic`.
 */
export class HouseholdTariffs1763890000000 implements MigrationInterface {
  name = 'HouseholdTariffs1763890000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE regions ADD COLUMN default_tariff text NOT NULL DEFAULT 'dynamic'`);
    await db.query(`ALTER TABLE regions ALTER COLUMN default_tariff DROP DEFAULT`);
    for (const [table, key] of PER_TARIFF) {
      await db.query(`ALTER TABLE ${table} ADD COLUMN tariff text NOT NULL DEFAULT 'dynamic'`);
      await db.query(`ALTER TABLE ${table} ALTER COLUMN tariff DROP DEFAULT`);
      await db.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey, ADD PRIMARY KEY (${key})`);
    }
    // NULL: the region's default tariff (its announcements go on `prices/{region}/…`); else the tariff's code.
    await db.query(`ALTER TABLE price_announcements ADD COLUMN tariff text`);
    await db.query(`DROP INDEX price_announcements_region_latest_idx`);
    await db.query(`CREATE INDEX price_announcements_region_latest_idx ON price_announcements (region_id, tariff, kind, seq DESC)`);
    // A meter's tariff at provisioning; an inverter has none (it is billed as its household's export).
    await db.query(`ALTER TABLE meters ADD COLUMN tariff text`);
    await db.query(`UPDATE meters m SET tariff = r.default_tariff FROM regions r WHERE m.region_id = r.id AND m.kind = 'meter'`);
    await db.query(`ALTER TABLE meters ADD CONSTRAINT meters_tariff_check CHECK ((tariff IS NULL) = (kind = 'inverter'))`);
    await db.query(`
      CREATE TABLE meter_tariff_changes (
        meter_id       text NOT NULL REFERENCES meters(id),
        effective_from timestamptz NOT NULL,
        tariff         text NOT NULL,
        requested_at   timestamptz NOT NULL,
        PRIMARY KEY (meter_id, effective_from)
      )`);
    // A display's prices follow its household's tariff, decided when it connects: no stored price filter.
    await db.query(
      `UPDATE client_credentials SET subscribe_filters = array(SELECT f FROM unnest(subscribe_filters) f WHERE f NOT LIKE 'prices/%') WHERE kind = 'display'`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(
      `UPDATE client_credentials c SET subscribe_filters = array_prepend('prices/' || m.region_id || '/#', c.subscribe_filters)
         FROM meters m WHERE c.kind = 'display' AND c.meter_id = m.id`,
    );
    await db.query(`DROP TABLE meter_tariff_changes`);
    await db.query(`ALTER TABLE meters DROP CONSTRAINT meters_tariff_check, DROP COLUMN tariff`);
    await db.query(`DROP INDEX price_announcements_region_latest_idx`);
    await db.query(`DELETE FROM price_announcements a USING regions r WHERE a.region_id = r.id AND a.tariff IS NOT NULL`);
    await db.query(`ALTER TABLE price_announcements DROP COLUMN tariff`);
    await db.query(`CREATE INDEX price_announcements_region_latest_idx ON price_announcements (region_id, kind, seq DESC)`);
    for (const [table] of PER_TARIFF) {
      await db.query(`DELETE FROM ${table} t USING regions r WHERE t.region_id = r.id AND t.tariff <> r.default_tariff`);
      await db.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey`);
      await db.query(`ALTER TABLE ${table} DROP COLUMN tariff`);
    }
    await db.query(`ALTER TABLE region_pricing ADD PRIMARY KEY (region_id, version)`);
    await db.query(`ALTER TABLE tariffs ADD PRIMARY KEY (region_id, interval_start)`);
    await db.query(`ALTER TABLE scheduled_prices ADD PRIMARY KEY (region_id, interval_start)`);
    await db.query(`ALTER TABLE region_schedule_state ADD PRIMARY KEY (region_id)`);
    await db.query(`ALTER TABLE regions DROP COLUMN default_tariff`);
  }
}
