import fc from 'fast-check';
import {
  cutoffBefore,
  dayType,
  fromLocal,
  fromLocalStrict,
  localDayStart,
  localParts,
  localSecondOfDay,
  nextLocalDayStart,
} from './local-time';

describe('a region’s own clock', () => {
  it('London days are 23 and 25 hours long where the clocks change, and the 16:00 cut-off follows the local clock', () => {
    const spring = localDayStart(Date.parse('2013-03-31T12:00:00Z'), 'Europe/London');
    expect(new Date(spring).toISOString()).toBe('2013-03-31T00:00:00.000Z');
    expect(nextLocalDayStart(spring, 'Europe/London') - spring).toBe(23 * 3_600_000);
    const autumn = localDayStart(Date.parse('2013-10-27T12:00:00Z'), 'Europe/London');
    expect(new Date(autumn).toISOString()).toBe('2013-10-26T23:00:00.000Z');
    expect(nextLocalDayStart(autumn, 'Europe/London') - autumn).toBe(25 * 3_600_000);
    expect(new Date(cutoffBefore(Date.parse('2013-07-02T00:00:00+01:00'), '16:00', 'Europe/London')).toISOString()).toBe(
      '2013-07-01T15:00:00.000Z',
    );
  });

  it('Kitakyushu (Asia/Tokyo) starts its day at 15:00 UTC, and 2013-12-07 was a Saturday there', () => {
    expect(new Date(localDayStart(Date.parse('2013-12-07T01:00:00Z'), 'Asia/Tokyo')).toISOString()).toBe('2013-12-06T15:00:00.000Z');
    expect(dayType(Date.parse('2013-12-06T15:30:00Z'), 'Asia/Tokyo')).toBe('weekend');
    expect(dayType(Date.parse('2013-12-06T14:30:00Z'), 'Asia/Tokyo')).toBe('weekday');
  });

  it('every instant lies in its local day, which the next starts right after (property)', () => {
    const zones = ['UTC', 'Europe/London', 'Asia/Tokyo', 'Australia/Sydney', 'America/New_York', 'Asia/Kolkata'];
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2010, 0, 1), max: Date.UTC(2030, 0, 1) }), fc.constantFrom(...zones), (ms, zone) => {
        const start = localDayStart(ms, zone);
        const next = nextLocalDayStart(start, zone);
        expect(start).toBeLessThanOrEqual(ms);
        expect(ms).toBeLessThan(next);
        expect(localSecondOfDay(start, zone)).toBe(0);
        expect([23, 24, 25]).toContain((next - start) / 3_600_000);
      }),
    );
  });
});

describe('a local time read strictly', () => {
  it('names one instant on an ordinary day, in summer and in winter', () => {
    expect(fromLocalStrict(2013, 12, 2, 17, 30, 'Europe/London')).toEqual({ ok: true, ms: Date.UTC(2013, 11, 2, 17, 30) });
    expect(fromLocalStrict(2013, 7, 2, 17, 30, 'Europe/London')).toEqual({ ok: true, ms: Date.UTC(2013, 6, 2, 16, 30) });
    expect(fromLocalStrict(2013, 12, 2, 0, 0, 'Asia/Tokyo')).toEqual({ ok: true, ms: Date.UTC(2013, 11, 1, 15) });
  });

  it('refuses a time in the gap when the clocks go forward, and one in the hour they repeat going back', () => {
    expect(fromLocalStrict(2027, 3, 28, 1, 30, 'Europe/London')).toMatchObject({ ok: false, reason: 'nonexistent' });
    expect(fromLocalStrict(2026, 10, 25, 1, 30, 'Europe/London')).toMatchObject({ ok: false, reason: 'ambiguous' });
    expect(fromLocalStrict(2026, 10, 25, 2, 0, 'Europe/London')).toEqual({ ok: true, ms: Date.UTC(2026, 9, 25, 2) });
    expect(fromLocalStrict(2012, 10, 7, 2, 30, 'Australia/Sydney')).toMatchObject({ ok: false, reason: 'nonexistent' });
  });

  it('agrees with fromLocal wherever a time names exactly one instant (every half hour of the weeks around both changes)', () => {
    const weeks = [Date.UTC(2026, 2, 25), Date.UTC(2026, 9, 21)].flatMap((from) =>
      Array.from({ length: 7 * 48 }, (_, i) => from + i * 1_800_000),
    );
    for (const t of weeks) {
      const p = localParts(t, 'Europe/London');
      const strict = fromLocalStrict(p.year, p.month, p.day, p.hour, p.minute, 'Europe/London');
      if (strict.ok) expect([t, strict.ms]).toEqual([t, fromLocal(p.year, p.month, p.day, p.hour, p.minute, 'Europe/London')]);
      else expect([t, strict.reason]).toEqual([t, 'ambiguous']); // every instant exists; only the repeated hour is unclear
    }
  });
});
