import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ReadingRecord } from '@wattline/contracts';
import { DATA_DIR, LONDON_HOUSEHOLDS_CSV, readLondonHouseholds, slotToReading } from '@wattline/datasets';
import { DEFAULT_PRICING_MODEL, expostOutcome } from '@wattline/domain';
import { useTestDatabase } from '@wattline/testing';
import { CatalogRepository } from './catalog.repository';
import { IntervalsRepository } from './intervals.repository';
import { ReadingsRepository } from './readings.repository';

const HOMES = ['MAC000002', 'MAC000003', 'MAC000004'];
const DAY = '2013-12-02';

/**
 * The expected sums, by an independent path: the CSV text split by hand and kWh turned into
 * milli-watt-hours with string arithmetic (no floating point), per half hour of DAY.
 */
function expectedDemandMilliWh(): Map<string, bigint> {
  const sums = new Map<string, bigint>();
  for (const line of readFileSync(path.join(DATA_DIR, LONDON_HOUSEHOLDS_CSV), 'utf8').split('\n').slice(1)) {
    const cells = line.split(',');
    if (!HOMES.includes(cells[0]) || !cells[4]?.startsWith(DAY)) continue;
    const [whole, fraction = ''] = cells[5].split('.');
    const milliWh = BigInt(whole) * 1_000_000n + BigInt((fraction + '000000').slice(0, 6));
    sums.set(cells[4], (sums.get(cells[4]) ?? 0n) + milliWh);
  }
  return sums;
}

describe('ReadingsRepository and IntervalsRepository on real PostgreSQL with real LCL data', () => {
  const db = useTestDatabase();
  let readings: ReadingsRepository;
  let intervals: IntervalsRepository;
  let records: ReadingRecord[];

  beforeAll(async () => {
    readings = new ReadingsRepository(db.dataSource);
    intervals = new IntervalsRepository(db.dataSource);
    const catalog = new CatalogRepository(db.dataSource);
    await catalog.createRegion({ id: 'london', name: 'London (LCL trial)', timezone: 'Europe/London', pricing: DEFAULT_PRICING_MODEL });
    for (const id of HOMES) await catalog.createMeter({ id, regionId: 'london', kind: 'meter', passwordHash: 'x' });
    records = [];
    for await (const slot of readLondonHouseholds({ households: (id) => HOMES.includes(id) })) {
      if (new Date(slot.slotStart).toISOString().startsWith(DAY)) {
        // MAC000003 numbers its readings; the others are identified by time only.
        const seq = slot.lclId === 'MAC000003' ? records.filter((r) => r.meterId === slot.lclId).length : undefined;
        records.push({
          ...slotToReading(slot, seq),
          seq: seq ?? null,
          meterId: slot.lclId,
          regionId: 'london',
          generationWh: 0,
          receivedAt: 0,
        });
      }
    }
  });

  it('stores 144 real readings, shuffled and partly delivered twice, and sums each interval exactly', async () => {
    expect(records).toHaveLength(3 * 48);
    const shuffled = [...records].sort((a, b) => ((a.ts * 7919 + a.meterId.length) % 97) - ((b.ts * 7919 + b.meterId.length) % 97));
    let inserted = 0;
    let duplicates = 0;
    for (let i = 0; i < shuffled.length; i += 25) {
      const result = await readings.storeBatch(shuffled.slice(i, i + 25), 1800, Date.UTC(2013, 11, 3));
      inserted += result.inserted;
      duplicates += result.duplicates;
    }
    // Redelivery of 40 readings, and the same reading twice inside one batch.
    const again = await readings.storeBatch([...shuffled.slice(0, 40), shuffled[0]], 1800, Date.UTC(2013, 11, 3));
    expect({ inserted, duplicates }).toEqual({ inserted: 144, duplicates: 0 });
    expect(again).toEqual({ inserted: 0, duplicates: 41, late: 0, conflicts: [], beyondRetention: [] });

    const page = await intervals.aggregatesPage('london', Date.UTC(2013, 11, 2), Date.UTC(2013, 11, 3), 100);
    expect(page.items).toHaveLength(48);
    const expected = expectedDemandMilliWh();
    for (const aggregate of page.items) {
      const key = new Date(aggregate.intervalStart).toISOString().replace('T', ' ').slice(0, 19);
      expect([key, BigInt(Math.round(aggregate.demandWh * 1000))]).toEqual([key, expected.get(key)]);
      expect(aggregate.metersReporting).toBe(3);
      expect(aggregate.readings).toBe(3);
    }
  });

  it('identifies a numbered reading by (meter, seq): an exact resend is a duplicate, another time or value a conflict', async () => {
    const first = records.find((r) => r.meterId === 'MAC000003')!;
    await expect(readings.storeBatch([first], 1800, Date.UTC(2013, 11, 3))).resolves.toEqual({
      inserted: 0,
      duplicates: 1,
      late: 0,
      conflicts: [],
      beyondRetention: [],
    });
    // A counter that restarted: the same number for another half hour, or another value.
    const moved = { ...first, ts: first.ts + 1_800_000 };
    const changed = { ...first, consumptionWh: first.consumptionWh + 1 };
    const result = await readings.storeBatch([moved, changed], 1800, Date.UTC(2013, 11, 3));
    expect(result).toMatchObject({ inserted: 0, duplicates: 0 });
    expect(result.conflicts.map((c) => [c.reading, c.heldBy])).toEqual([
      [moved, { ts: first.ts, seq: first.seq, consumptionWh: first.consumptionWh, generationWh: 0 }],
      [changed, { ts: first.ts, seq: first.seq, consumptionWh: first.consumptionWh, generationWh: 0 }],
    ]);
    // The same number twice inside one batch, at two times: one stored, the other a conflict.
    const fresh = { ...first, seq: 10_000, ts: Date.UTC(2013, 11, 5, 0, 30) };
    const twice = await readings.storeBatch([fresh, { ...fresh, ts: fresh.ts + 60_000 }], 1800, Date.UTC(2013, 11, 6));
    expect(twice).toMatchObject({ inserted: 1, duplicates: 0 });
    expect(twice.conflicts.map((c) => c.reading.ts)).toEqual([fresh.ts + 60_000]);
    // An unnumbered reading for a time already stored with another value: a conflict too.
    const unnumbered = records.find((r) => r.meterId === 'MAC000002')!;
    const other = await readings.storeBatch(
      [{ ...unnumbered, consumptionWh: unnumbered.consumptionWh + 0.5 }],
      1800,
      Date.UTC(2013, 11, 6),
    );
    expect(other.conflicts).toHaveLength(1);
  });

  it('counts a restarted counter once it names its next seqEpoch, and keeps the old run a duplicate', async () => {
    // MAC000003's real readings of the day, numbered 0…47; its counter restarts the next day.
    const day = records.filter((r) => r.meterId === 'MAC000003').slice(0, 3);
    const nextDay = day.map((r) => ({ ...r, ts: r.ts + 86_400_000 }));
    // The same numbers at new times without an epoch: held by the first run.
    const unnamed = await readings.storeBatch(nextDay, 1800, Date.UTC(2013, 11, 4));
    expect(unnamed).toMatchObject({ inserted: 0 });
    expect(unnamed.conflicts).toHaveLength(3);
    // Named as epoch 1 (twice in one batch: once), they count; the run before keeps its claims.
    const renamed = nextDay.map((r) => ({ ...r, seqEpoch: 1 }));
    expect(await readings.storeBatch([...renamed, renamed[0]], 1800, Date.UTC(2013, 11, 4))).toMatchObject({
      inserted: 3,
      duplicates: 1,
      conflicts: [],
    });
    expect(await readings.storeBatch(day, 1800, Date.UTC(2013, 11, 4))).toMatchObject({ inserted: 0, duplicates: 3, conflicts: [] });
    expect(await readings.storeBatch(renamed, 1800, Date.UTC(2013, 11, 4))).toMatchObject({ inserted: 0, duplicates: 3, conflicts: [] });
    const claims: { seq_epoch: number; n: number }[] = await db.dataSource.query(
      `SELECT seq_epoch, count(*)::int AS n FROM reading_seqs WHERE meter_id = 'MAC000003' AND seq < 3 GROUP BY 1 ORDER BY 1`,
    );
    expect(claims).toEqual([
      { seq_epoch: 0, n: 3 },
      { seq_epoch: 1, n: 3 },
    ]);
  });

  it('keeps readings in monthly partitions, created as data arrives', async () => {
    await readings.storeBatch([{ ...records[0], ts: Date.UTC(2014, 0, 15), seq: null }], 1800, Date.UTC(2014, 0, 16));
    const partitions: { name: string }[] = await db.dataSource.query(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'readings'::regclass ORDER BY 1`,
    );
    expect(partitions.map((p) => p.name)).toEqual(['readings_2013_12', 'readings_2014_01']);
    const [{ count }] = await db.dataSource.query(`SELECT count(*)::int AS count FROM ONLY readings_2014_01`);
    expect(count).toBe(1);
  });

  it('closes an interval and records its outcome exactly once, and counts a later reading as late without changing either', async () => {
    const start = Date.UTC(2013, 11, 2, 18);
    const now = Date.UTC(2013, 11, 3, 1);
    await expect(intervals.closeInterval('london', start, now)).resolves.toBe(true);
    await expect(intervals.closeInterval('london', start, now)).resolves.toBe(false);
    const [closed] = (await intervals.closedWithoutOutcome()).filter((a) => a.intervalStart === start);
    const outcome = expostOutcome(closed, DEFAULT_PRICING_MODEL);
    expect(outcome).toMatchObject({ level: 1, utilisation: closed.demandWh / 50_000 });
    await intervals.recordOutcome('london', start, outcome, now);
    await intervals.recordOutcome('london', start, { utilisation: 9, level: 5 }, now + 1);
    expect((await intervals.closedWithoutOutcome()).filter((a) => a.intervalStart === start)).toEqual([]);

    const late: ReadingRecord = {
      meterId: 'MAC000002',
      regionId: 'london',
      ts: start + 900_000,
      periodS: 60,
      consumptionWh: 12.5,
      generationWh: 0,
      seq: null,
      receivedAt: now,
    };
    await expect(readings.storeBatch([late], 1800, now)).resolves.toEqual({
      inserted: 1,
      duplicates: 0,
      late: 1,
      conflicts: [],
      beyondRetention: [],
    });

    const [aggregate] = (await intervals.aggregatesPage('london', start, start + 1, 1)).items;
    expect(aggregate.lateReadings).toBe(1);
    expect(aggregate.demandWh).toBeCloseTo(closed.demandWh + 12.5, 3);
    expect(aggregate).toMatchObject({ expostLevel: 1, measuredUtilisation: closed.demandWh / 50_000 });
    const page = await readings.readingsPage('MAC000002', start, start + 1_800_000, 10);
    expect(page.items.find((r) => r.ts === late.ts)).toMatchObject({ late: true, consumptionWh: 12.5 });
  });

  it('records each late revision of a priced interval as a new version with its deltas, writer and time', async () => {
    const start = Date.UTC(2013, 11, 2, 18);
    const later = Date.UTC(2013, 11, 3, 2);
    const late = (ts: number, wh: number): ReadingRecord => ({
      meterId: 'MAC000004',
      regionId: 'london',
      ts,
      periodS: 60,
      consumptionWh: wh,
      generationWh: 0,
      seq: null,
      receivedAt: later,
    });
    await readings.storeBatch([late(start + 60_000, 1.5), late(start + 120_000, 2.5)], 1800, later, 'aggregator@test:1');
    const [aggregate] = (await intervals.aggregatesPage('london', start, start + 1, 1)).items;
    expect(aggregate.version).toBe(3); // 1, +1 for the previous test's late reading, +1 for this batch
    const trail = (await intervals.revisionsPage('london', start, start + 1, 10)).items;
    expect(trail.map((r) => [r.version, r.demandDeltaWh, r.readingsDelta, r.reason])).toEqual([
      [2, 12.5, 1, 'late readings'],
      [3, 4, 2, 'late readings'],
    ]);
    expect(trail[1]).toMatchObject({ revisedBy: 'aggregator@test:1', revisedAt: later });
    // The meter's bill line for the interval got the same trail.
    const [line] = (await readings.meterIntervals('MAC000004', start, start + 1)).filter((l) => l.intervalStart === start);
    expect(line.version).toBe(2);
    expect(line.revisions).toEqual([
      {
        version: 2,
        consumptionDeltaWh: 4,
        generationDeltaWh: 0,
        readingsDelta: 2,
        reason: 'late readings',
        revisedBy: 'aggregator@test:1',
        revisedAt: expect.any(String),
      },
    ]);
    expect(line.consumptionWh).toBeCloseTo(
      records.find((r) => r.meterId === 'MAC000004' && r.ts === start + 1_800_000)!.consumptionWh + 4,
      3,
    );
    // An on-time batch for an open interval makes no revision.
    await readings.storeBatch([late(Date.UTC(2013, 11, 4, 0, 1), 1)], 1800, later);
    expect((await intervals.revisionsPage('london', Date.UTC(2013, 11, 4), Date.UTC(2013, 11, 5), 10)).items).toEqual([]);
  });

  it('spreads a reading over the intervals its period covers: each share in its own interval, late only where that interval is closed', async () => {
    // Another day, on a meter of its own: 20:00–20:30 closed, 20:30–21:00 open.
    const start = Date.UTC(2013, 11, 5, 20);
    const now = Date.UTC(2013, 11, 6, 1);
    await new CatalogRepository(db.dataSource).createMeter({ id: 'SPREAD', regionId: 'london', kind: 'meter', passwordHash: 'x' });
    const reading = (ts: number, periodS: number, consumptionWh: number): ReadingRecord => ({
      meterId: 'SPREAD',
      regionId: 'london',
      ts,
      periodS,
      consumptionWh,
      generationWh: 0,
      seq: null,
      receivedAt: now,
    });
    await readings.storeBatch([reading(start + 60_000, 60, 1)], 1800, now); // opens 20:00
    await expect(intervals.closeInterval('london', start, now)).resolves.toBe(true);
    // 60 minutes ending 21:00: half in the closed 20:00 interval (late), half in 20:30 (on time);
    // the same reading with another period in the same batch is a conflict, not counted.
    const hour = reading(start + 3_600_000, 3600, 1000.001);
    await expect(readings.storeBatch([hour, { ...hour, periodS: 1800 }], 1800, now)).resolves.toMatchObject({ inserted: 1 });
    const lines = await readings.meterIntervals('SPREAD', start, start + 3_600_000);
    expect(lines.map((l) => [l.intervalStart - start, l.consumptionWh, l.version])).toEqual([
      [0, 501.001, 2],
      [1_800_000, 500, 1],
    ]);
    const aggregates = (await intervals.aggregatesPage('london', start, start + 3_600_000, 2)).items;
    expect(aggregates.map((a) => a.lateReadings)).toEqual([1, 0]);
    const trail = (await intervals.revisionsPage('london', start, start + 1, 10)).items;
    expect(trail.map((r) => [r.version, r.demandDeltaWh])).toEqual([[2, 500.001]]);
    // The reading itself is stored once, whole, in the interval its period ends in.
    const page = await readings.readingsPage('SPREAD', start, start + 3_600_001, 10);
    expect(page.items.map((r) => [r.ts - start, r.periodS, r.consumptionWh])).toEqual([
      [60_000, 60, 1],
      [3_600_000, 3600, 1000.001],
    ]);
  });

  it("moves a region's watermark no further than the arrival time of a reading from a fast clock", async () => {
    // A meter 290 s fast (inside the accepted skew) reports the end of a half hour that has not ended.
    const arrived = Date.UTC(2013, 11, 9, 12, 25, 10);
    const fast: ReadingRecord = {
      meterId: 'MAC000002',
      regionId: 'london',
      ts: Date.UTC(2013, 11, 9, 12, 30),
      periodS: 1800,
      consumptionWh: 100,
      generationWh: 0,
      seq: null,
      receivedAt: arrived,
    };
    await readings.storeBatch([fast], 1800, arrived);
    const open = (await intervals.openIntervals()).filter((o) => o.regionId === 'london' && o.intervalStart === Date.UTC(2013, 11, 9, 12));
    expect(open.map((o) => o.watermark)).toEqual([arrived]);
  });
});
