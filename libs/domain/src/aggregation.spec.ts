import fc from 'fast-check';
import { readingIdentity, sumByInterval, type RegionReading } from './aggregation';

// Real rows: LCL household MAC000002, 2013-12-02 00:00–01:30 (data/lcl_london_households_2013-12_halfhourly.csv).
const MAC000002 = [275, 210, 254, 129].map((wh, i) => ({
  meterId: 'MAC000002',
  regionId: 'london',
  ts: Date.UTC(2013, 11, 2, 0, 30 * (i + 1)),
  periodS: 1800,
  consumptionWh: wh,
  generationWh: 0,
  seq: null,
}));

describe('sumByInterval', () => {
  it('puts each half-hour reading in its own half-hour interval', () => {
    const totals = sumByInterval(MAC000002, 1800);
    expect(totals.map((t) => [new Date(t.intervalStart).toISOString(), t.demandWh])).toEqual([
      ['2013-12-02T00:00:00.000Z', 275],
      ['2013-12-02T00:30:00.000Z', 210],
      ['2013-12-02T01:00:00.000Z', 254],
      ['2013-12-02T01:30:00.000Z', 129],
    ]);
  });

  it('sums an hour of half-hour readings into hourly intervals, counting meters once', () => {
    const totals = sumByInterval(MAC000002, 3600);
    expect(totals.map((t) => [t.demandWh, t.readings, t.meterIds.size])).toEqual([
      [485, 2, 1],
      [383, 2, 1],
    ]);
  });

  const readingArb = fc.record({
    meterId: fc.constantFrom('a', 'b', 'c'),
    regionId: fc.constantFrom('r1', 'r2'),
    ts: fc.integer({ min: Date.UTC(2013, 0, 1), max: Date.UTC(2013, 0, 3) }),
    periodS: fc.constant(1800),
    consumptionWh: fc.integer({ min: 0, max: 5000 }),
    generationWh: fc.integer({ min: 0, max: 5000 }),
    seq: fc.constant(null),
  });

  it('loses and invents no energy, whatever the order (property)', () => {
    fc.assert(
      fc.property(fc.array(readingArb, { maxLength: 200 }), fc.integer({ min: 1, max: 6 }), (readings: RegionReading[], hours) => {
        const totals = sumByInterval(readings, hours * 1800);
        const reversed = sumByInterval([...readings].reverse(), hours * 1800);
        const demand = (ts: typeof totals) => ts.reduce((s, t) => s + t.demandWh, 0);
        expect(demand(totals)).toBe(readings.reduce((s, r) => s + r.consumptionWh, 0));
        expect(totals.reduce((s, t) => s + t.supplyWh, 0)).toBe(readings.reduce((s, r) => s + r.generationWh, 0));
        expect(demand(reversed)).toBe(demand(totals));
        for (const t of totals) expect(t.intervalEnd - t.intervalStart).toBe(hours * 1800 * 1000);
      }),
    );
  });
});

describe('readingIdentity', () => {
  it('uses seq when present and the reading time otherwise', () => {
    expect(readingIdentity({ meterId: 'm', ts: 5, seq: 9 })).toBe('m#9');
    expect(readingIdentity({ meterId: 'm', ts: 5, seq: null })).toBe('m@t5');
    expect(readingIdentity({ meterId: 'm', ts: 6, seq: 9 })).toBe(readingIdentity({ meterId: 'm', ts: 5, seq: 9 }));
  });
});
