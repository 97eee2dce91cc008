import { DataSource } from 'typeorm';
import { createTestDatabase } from '@wattline/testing';
import { MIGRATIONS } from '../../../migrations';
import { createDataSource, runMigrations } from './data-source';

/** Migrations apply in order on a database that already holds data, and keep it. */
describe('migrations on a database with data', () => {
  it('moves existing readings and their sequence numbers into the monthly partitions', async () => {
    const db = await createTestDatabase({ empty: true });
    const before = new DataSource({
      type: 'postgres',
      url: db.url,
      migrations: MIGRATIONS.slice(0, 3),
      migrationsTableName: 'typeorm_migrations',
    });
    await before.initialize();
    await before.runMigrations();
    await before.query(`INSERT INTO regions (id, name, pricing) VALUES ('london', 'London', '{}')`);
    await before.query(`
      INSERT INTO readings (meter_id, reading_ts, region_id, interval_start, period_s, consumption_wh, generation_wh, seq, received_at)
      VALUES ('MAC000002', '2013-11-30T23:30:00Z', 'london', '2013-11-30T23:00:00Z', 1800, 275, 0, NULL, now()),
             ('MAC000002', '2013-12-02T00:30:00Z', 'london', '2013-12-02T00:00:00Z', 1800, 210, 0, 7, now())`);
    await before.destroy();

    const after = createDataSource(db.url);
    await after.initialize();
    try {
      expect(await runMigrations(after)).toEqual(MIGRATIONS.slice(3).map((m) => m.name));
      const partitions = await after.query(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'readings'::regclass ORDER BY 1`,
      );
      expect(partitions.map((p: { name: string }) => p.name)).toEqual(['readings_2013_11', 'readings_2013_12']);
      expect(await after.query(`SELECT meter_id, seq::int, consumption_wh::float AS wh FROM readings ORDER BY reading_ts`)).toEqual([
        { meter_id: 'MAC000002', seq: null, wh: 275 },
        { meter_id: 'MAC000002', seq: 7, wh: 210 },
      ]);
      expect(await after.query(`SELECT meter_id, seq::int FROM reading_seqs`)).toEqual([{ meter_id: 'MAC000002', seq: 7 }]);
    } finally {
      await after.destroy();
      await db.drop();
    }
  });
});
