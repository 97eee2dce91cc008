import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Closing, pricing and publishing become three steps with nothing held across them:
 *  - an interval is closed with the sums it had at that moment (`closed_demand_wh`,
 *    `closed_supply_wh`), which late readings never change, so the price can be computed after
 *    the close — and again after a crash between the two — from exactly what was closed;
 *  - the tariff outbox is claimed with a lease (`claimed_by`, `claimed_until`) in one short
 *    statement instead of row locks held across the produce to Kafka; a replica that dies
 *    between producing and marking leaves its claim to expire, and another one publishes.
 */
export class CloseThenPrice1763800000000 implements MigrationInterface {
  name = 'CloseThenPrice1763800000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE interval_aggregates ADD COLUMN closed_demand_wh numeric(18,3), ADD COLUMN closed_supply_wh numeric(18,3)`);
    // Intervals closed before this migration were priced already: their tariff holds the sums.
    await db.query(`
      UPDATE interval_aggregates a SET closed_demand_wh = t.demand_wh, closed_supply_wh = t.supply_wh
        FROM tariffs t WHERE t.region_id = a.region_id AND t.interval_start = a.interval_start`);
    await db.query(`CREATE INDEX interval_aggregates_closed_idx ON interval_aggregates (closed_at) WHERE closed_at IS NOT NULL`);
    await db.query(`ALTER TABLE tariffs ADD COLUMN claimed_by text, ADD COLUMN claimed_until timestamptz`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE tariffs DROP COLUMN claimed_by, DROP COLUMN claimed_until`);
    await db.query(`DROP INDEX interval_aggregates_closed_idx`);
    await db.query(`ALTER TABLE interval_aggregates DROP COLUMN closed_demand_wh, DROP COLUMN closed_supply_wh`);
  }
}
