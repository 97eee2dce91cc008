import type { MigrationInterface, QueryRunner } from 'typeorm';

/** An inverter belongs to its household's meter: the home's rooftop export goes on that meter's bill. */
export class InverterHouseholds1763880000000 implements MigrationInterface {
  name = 'InverterHouseholds1763880000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `ALTER TABLE meters ADD COLUMN household_id text REFERENCES meters(id),
         ADD CONSTRAINT meters_household_check CHECK (household_id IS NULL OR (kind = 'inverter' AND household_id <> id))`,
    );
    await db.query(`CREATE INDEX meters_household_idx ON meters (household_id) WHERE household_id IS NOT NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX meters_household_idx`);
    await db.query(`ALTER TABLE meters DROP CONSTRAINT meters_household_check, DROP COLUMN household_id`);
  }
}
