import { forecastIntervals, mape, seasonalNaive, type IntervalActual } from './forecast';

const DAY = 86_400_000;
// Mondays 2013-12-02 and 2013-12-09; 2013-12-07 is a Saturday.
const at = (iso: string) => Date.parse(iso);

describe('forecast from stored history', () => {
  const history: IntervalActual[] = [
    { intervalStart: at('2013-12-02T18:00:00Z'), demandWh: 1000, supplyWh: 0 },
    { intervalStart: at('2013-12-03T18:00:00Z'), demandWh: 3000, supplyWh: 0 },
    { intervalStart: at('2013-12-07T18:00:00Z'), demandWh: 9000, supplyWh: 0 },
    { intervalStart: at('2013-12-08T12:00:00Z'), demandWh: 500, supplyWh: 800 },
  ];
  const asOf = at('2013-12-08T16:00:00Z');

  it('a weekday slot averages the same slot on weekdays; a weekend slot, on weekends', () => {
    const r = forecastIntervals(history, [at('2013-12-09T18:00:00Z'), at('2013-12-14T18:00:00Z')], { timeZone: 'Europe/London', asOf });
    expect(r).toMatchObject({
      ok: true,
      intervals: [
        { demandWh: 2000, method: 'same-slot-same-day-type', samples: 2 },
        { demandWh: 9000, samples: 1 },
      ],
    });
  });

  it('falls back to the same slot on any day, then to the mean of all history; generation from the recent same slot', () => {
    const r = forecastIntervals(history, [at('2013-12-09T12:00:00Z'), at('2013-12-09T03:00:00Z')], { timeZone: 'Europe/London', asOf });
    expect(r).toMatchObject({
      ok: true,
      intervals: [
        { demandWh: 500, supplyWh: 800, method: 'same-slot-any-day' },
        { demandWh: 3375, supplyWh: 0, method: 'mean-of-history' },
      ],
    });
  });

  it('uses nothing from after the forecast is made, and refuses stale or missing history (a stalled pipeline)', () => {
    expect(forecastIntervals(history, [at('2013-12-09T18:00:00Z')], { timeZone: 'UTC', asOf: at('2013-12-02T17:00:00Z') })).toMatchObject({
      ok: false,
      reason: 'no_history',
    });
    expect(forecastIntervals(history, [at('2013-12-12T18:00:00Z')], { timeZone: 'UTC', asOf: at('2013-12-10T16:00:00Z') })).toMatchObject({
      ok: false,
      reason: 'stale_history',
    });
  });

  it('seasonal-naive takes the value one season back; MAPE skips zero actuals', () => {
    const naive = seasonalNaive(history, [at('2013-12-09T18:00:00Z'), at('2013-12-10T18:00:00Z')], 7 * DAY);
    expect(naive.get(at('2013-12-09T18:00:00Z'))?.demandWh).toBe(1000);
    expect(naive.get(at('2013-12-10T18:00:00Z'))?.demandWh).toBe(3000);
    expect(
      mape([
        { forecast: 90, actual: 100 },
        { forecast: 130, actual: 100 },
        { forecast: 5, actual: 0 },
      ]),
    ).toBe(20);
    expect(mape([{ forecast: 1, actual: 0 }])).toBeNull();
  });
});
