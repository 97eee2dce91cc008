import fc from 'fast-check';
import { cutoffBefore, dayType, localDayStart, localSecondOfDay, nextLocalDayStart } from './local-time';

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
