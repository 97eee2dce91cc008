import Decimal from 'decimal.js';
import fc from 'fast-check';
import { apportionReading, assignInterval, isClosableByWatermark, isClosableWhenIdle } from './intervals';

const T = (h: number, m = 0, s = 0) => Date.UTC(2013, 11, 2, h, m, s);

describe('assignInterval', () => {
  it('puts a reading that ends at 00:30 in [00:00, 00:30), since ts is the end of the period', () => {
    expect(assignInterval(T(0, 30), 1800)).toEqual({ start: T(0), end: T(0, 30) });
  });

  it('puts a reading ending one millisecond later in the next interval', () => {
    expect(assignInterval(T(0, 30) + 1, 1800)).toEqual({ start: T(0, 30), end: T(1) });
  });
});

describe('closing rules', () => {
  it('closes by watermark only once event time passes end + lateness', () => {
    expect(isClosableByWatermark(T(1), T(1, 4, 59), 300_000)).toBe(false);
    expect(isClosableByWatermark(T(1), T(1, 5), 300_000)).toBe(true);
  });

  it('closes a quiet region by the wall clock, but not while readings keep arriving', () => {
    const end = T(1);
    expect(isClosableWhenIdle(end, 300_000, T(1, 10), T(1, 10, 20), 30_000)).toBe(false); // 20 s quiet
    expect(isClosableWhenIdle(end, 300_000, T(1, 10), T(1, 10, 30), 30_000)).toBe(true);
    expect(isClosableWhenIdle(end, 300_000, T(1, 0), T(1, 4), 30_000)).toBe(false); // lateness not over
  });
});

describe('apportionReading: a reading spread over the intervals its period covers', () => {
  const shares = (ts: number, periodS: number, consumptionWh: number, generationWh = 0) =>
    apportionReading({ ts, periodS, consumptionWh, generationWh }, 1800).map((s) => [
      new Date(s.intervalStart).toISOString().slice(11, 16),
      s.consumptionWh,
    ]);

  it('puts a half-hour reading wholly in its interval', () => {
    expect(shares(T(0, 30), 1800, 250)).toEqual([['00:00', '250.000']]);
  });

  it('puts a 60-minute reading half in each of two 30-minute intervals', () => {
    expect(shares(T(1), 3600, 1000)).toEqual([
      ['00:00', '500.000'],
      ['00:30', '500.000'],
    ]);
  });

  it('splits a 10-minute reading across a boundary by time, and rounds so the parts add up exactly', () => {
    expect(shares(T(0, 35), 600, 100)).toEqual([
      ['00:00', '50.000'],
      ['00:30', '50.000'],
    ]);
    expect(shares(T(1, 30), 5400, 100)).toEqual([
      ['00:00', '33.333'],
      ['00:30', '33.334'],
      ['01:00', '33.333'],
    ]);
  });

  it('the shares always add up to the reading to the thousandth of a Wh (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 86_400_000 }),
        fc.integer({ min: 1, max: 86_400 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        (offset, periodS, milli) => {
          const wh = milli / 1000;
          const parts = apportionReading({ ts: T(0) + offset, periodS, consumptionWh: wh, generationWh: wh / 2 }, 1800);
          const sum = (k: 'consumptionWh' | 'generationWh') => parts.reduce((a, p) => a.plus(p[k]), new Decimal(0));
          expect(sum('consumptionWh').toFixed(3)).toBe(new Decimal(wh).toDecimalPlaces(3, Decimal.ROUND_HALF_UP).toFixed(3));
          expect(sum('generationWh').toFixed(3)).toBe(new Decimal(wh / 2).toDecimalPlaces(3, Decimal.ROUND_HALF_UP).toFixed(3));
          expect(parts.every((p) => new Decimal(p.consumptionWh).greaterThanOrEqualTo(0))).toBe(true);
          expect(parts).toHaveLength(Math.ceil((T(0) + offset) / 1_800_000) - Math.floor((T(0) + offset - periodS * 1000) / 1_800_000));
        },
      ),
    );
  });

  it("moving a reading inside a day never changes the day's total (property)", () => {
    const day = { from: T(0), to: T(0) + 86_400_000 };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 86_400 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (periodS, milli, at) => {
          // Any ts that keeps [ts − periodS, ts) inside the day.
          const ts = day.from + periodS * 1000 + Math.floor(at * (86_400_000 - periodS * 1000));
          const dayTotal = apportionReading({ ts, periodS, consumptionWh: milli / 1000, generationWh: 0 }, 1800)
            .filter((p) => p.intervalStart >= day.from && p.intervalStart < day.to)
            .reduce((a, p) => a.plus(p.consumptionWh), new Decimal(0));
          expect(dayTotal.toFixed(3)).toBe(new Decimal(milli).dividedBy(1000).toFixed(3));
        },
      ),
    );
  });
});
