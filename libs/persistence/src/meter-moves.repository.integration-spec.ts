import type { ReadingRecord } from '@wattline/contracts';
import { readLondonHouseholds, slotToReading } from '@wattline/datasets';
import { DEFAULT_PRICING_MODEL } from '@wattline/domain';
import { firmTariff, useTestDatabase } from '@wattline/testing';
import { CatalogRepository } from './catalog.repository';
import { MeterMovesRepository } from './meter-moves.repository';
import { ReadingsRepository } from './readings.repository';
import { Database } from './sql';
import { TariffsRepository } from './tariffs.repository';

const HOMES = ['MAC000002', 'MAC000003', 'MAC000004'];
const HALF = 1_800_000;
const DAY = Date.UTC(2013, 11, 2);
const NOON = DAY + 24 * HALF;

/**
 * Region and cohort changes on real PostgreSQL, with three real LCL households' readings of
 * 2 December 2013: the plans read back, the changes applied once due (and logged for the
 * brokers), and the response analysis' panel counting each interval in the cohort of its time.
 */
describe('MeterMovesRepository on real PostgreSQL with real LCL readings', () => {
  const db = useTestDatabase();
  let moves: MeterMovesRepository;
  let readings: ReadingsRepository;
  let database: Database;

  beforeAll(async () => {
    moves = new MeterMovesRepository(db.dataSource);
    readings = new ReadingsRepository(db.dataSource);
    database = new Database(db.dataSource);
    const catalog = new CatalogRepository(db.dataSource);
    for (const id of ['london', 'leeds'])
      await catalog.createRegion({ id, name: id, timezone: 'Europe/London', pricing: DEFAULT_PRICING_MODEL });
    await catalog.createMeter({ id: 'MAC000002', regionId: 'london', kind: 'meter', passwordHash: 'x', cohort: 'control' });
    await catalog.createMeter({ id: 'MAC000003', regionId: 'london', kind: 'meter', passwordHash: 'x', cohort: 'trial' });
    await catalog.createMeter({ id: 'MAC000004', regionId: 'london', kind: 'meter', passwordHash: 'x', cohort: 'control' });
    const records: ReadingRecord[] = [];
    for await (const slot of readLondonHouseholds({ households: (id) => HOMES.includes(id) }))
      if (slot.slotStart >= DAY && slot.slotStart < DAY + 48 * HALF)
        records.push({
          ...slotToReading(slot),
          seq: null,
          meterId: slot.lclId,
          regionId: 'london',
          generationWh: 0,
          receivedAt: slot.slotStart + HALF + 1000,
        });
    expect((await readings.storeBatch(records, 1800, DAY + 49 * HALF)).inserted).toBe(3 * 48);
    await new TariffsRepository(db.dataSource).insertNew(
      Array.from({ length: 48 }, (_, i) => firmTariff('london', DAY + i * HALF, 1000 * (i % 7), { timeZone: 'Europe/London' })),
    );
  });

  it('keeps a history from the first change on, and applies each change once it is due', async () => {
    await database.transaction(async (tx) => {
      await moves.changeCohort('MAC000004', 'trial', NOON, DAY, tx);
      await moves.moveRegion('MAC000003', 'leeds', DAY + 60 * HALF, DAY, tx);
    });
    expect((await moves.cohortPlans(['MAC000004', 'MAC000002'])).get('MAC000004')).toEqual([
      { cohort: 'control', from: null },
      { cohort: 'trial', from: NOON },
    ]);
    expect((await moves.cohortPlans(['MAC000002'])).get('MAC000002')).toEqual([{ cohort: 'control', from: null }]);
    expect((await moves.regionPlans(['MAC000003'])).get('MAC000003')).toEqual([
      { regionId: 'london', from: null },
      { regionId: 'leeds', from: DAY + 60 * HALF },
    ]);
    // The region's time is its readings' (a replay of 2013: its clock lead), so nothing is due until its time comes.
    const lead: { lead: string }[] = await db.dataSource.query(
      `SELECT clock_lead_ms AS lead FROM region_watermarks WHERE region_id = 'london'`,
    );
    const wallAt = (regionTime: number) => regionTime - Number(lead[0].lead);
    expect(await moves.applyDue(wallAt(NOON - 1))).toEqual({ moved: [], recohorted: [] });
    expect(await moves.applyDue(wallAt(NOON))).toEqual({ moved: [], recohorted: ['MAC000004'] });
    const before: { n: number }[] = await db.dataSource.query(`SELECT count(*)::int AS n FROM control_events WHERE username = 'MAC000003'`);
    expect(await moves.applyDue(wallAt(DAY + 60 * HALF))).toEqual({ moved: ['MAC000003'], recohorted: [] });
    expect(await moves.applyDue(wallAt(DAY + 60 * HALF))).toEqual({ moved: [], recohorted: [] });
    const after: { n: number }[] = await db.dataSource.query(`SELECT count(*)::int AS n FROM control_events WHERE username = 'MAC000003'`);
    expect(after[0].n - before[0].n).toBe(1);
    const now: { id: string; region_id: string; cohort: string }[] = await db.dataSource.query(
      `SELECT id, region_id, cohort FROM meters ORDER BY id`,
    );
    expect(now.map((m) => [m.id, m.region_id, m.cohort])).toEqual([
      ['MAC000002', 'london', 'control'],
      ['MAC000003', 'leeds', 'trial'],
      ['MAC000004', 'london', 'trial'],
    ]);
  });

  it('counts each interval of the response panel in the cohort its meter was in then', async () => {
    const panel = (await readings.responsePanel(
      { regionId: 'london', tariff: 'dynamic' },
      DAY,
      DAY + 48 * HALF,
      { control: 'control' },
      10_000,
    ))!;
    // MAC000004 is a control household in the morning and a treatment one after noon: two panel households.
    expect(panel.wh.length).toBe(3 * 48);
    expect(panel.treated).toEqual([false, true, false, true]);
    const rowsOf = (h: number) => Array.from(panel.household).filter((x) => x === h).length;
    expect([0, 1, 2, 3].map(rowsOf)).toEqual([48, 48, 24, 24]);
    // Named as the treatment, only its afternoon counts on that side (its morning on the control side).
    const named = (await readings.responsePanel(
      { regionId: 'london', tariff: 'dynamic' },
      DAY,
      DAY + 48 * HALF,
      { control: 'control', treatment: 'trial' },
      10_000,
    ))!;
    expect(named.wh.length).toBe(3 * 48);
    expect(named.treated).toEqual([false, true, false, true]);
    const namedRows = (h: number) => Array.from(named.household).filter((x) => x === h).length;
    expect([0, 1, 2, 3].map(namedRows)).toEqual([48, 48, 24, 24]);
  });
});
