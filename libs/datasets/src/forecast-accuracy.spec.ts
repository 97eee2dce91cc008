import { cutoffBefore, evaluateDayAhead, intervalStartsBetween, nextLocalDayStart, type IntervalActual } from '@wattline/domain';
import { readLondonHouseholds } from './london-households';

/**
 * The day-ahead forecast scored on the real London data, as the platform makes it (from the
 * history before each day's 16:00 cut-off): over the three weeks that have a week of history
 * before them, it must beat the seasonal-naive baseline (the same half hour a week earlier),
 * or the documented method is not worth its complexity. `npm run forecast:evaluate` prints the
 * per-day table.
 */
describe('day-ahead forecast accuracy on the 79 LCL households, December 2013', () => {
  it('has a lower mean daily MAPE than the seasonal-naive baseline, and stays under 15 % on average', async () => {
    const sums = new Map<number, number>();
    for await (const slot of readLondonHouseholds()) sums.set(slot.slotStart, (sums.get(slot.slotStart) ?? 0) + slot.consumptionWh);
    const series: IntervalActual[] = [...sums]
      .sort((a, b) => a[0] - b[0])
      .map(([intervalStart, demandWh]) => ({ intervalStart, demandWh, supplyWh: 0 }));
    const days = [];
    for (let day = Date.UTC(2013, 11, 9); day < Date.UTC(2013, 11, 30); day = nextLocalDayStart(day, 'Europe/London')) {
      days.push({
        dayStart: day,
        cutoff: cutoffBefore(day, '16:00', 'Europe/London'),
        intervalStarts: intervalStartsBetween(day, nextLocalDayStart(day, 'Europe/London'), 1_800_000),
      });
    }
    const scored = evaluateDayAhead(series, days, { timeZone: 'Europe/London', quantity: 'demandWh' });
    expect(scored).toHaveLength(21);
    const mean = (pick: (d: (typeof scored)[number]) => number | null) =>
      scored.reduce((sum, d) => sum + (pick(d) ?? NaN), 0) / scored.length;
    const forecast = mean((d) => d.forecast.mape);
    const naive = mean((d) => d.seasonalNaive.mape);
    expect(forecast).toBeLessThan(naive);
    expect(forecast).toBeLessThan(15);
  });
});
