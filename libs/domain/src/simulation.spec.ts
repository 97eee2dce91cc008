import { DEFAULT_PRICING_MODEL, type PricingModel } from './pricing';
import { firmPrice } from './prices';
import { simulate } from './simulation';
import type { Tariff } from './prices';

const HALF = 1_800_000;
const published = (i: number, demandWh: number): Tariff => {
  const p = firmPrice(
    {
      regionId: 'r',
      intervalStart: i * HALF,
      intervalEnd: (i + 1) * HALF,
      timeZone: 'UTC',
      forecastDemandWh: demandWh,
      forecastSupplyWh: 0,
      forecastMethod: 'same-slot-same-day-type',
      wholesalePrice: null,
      scheduledPrice: null,
      event: null,
      previousPriceExTax: null,
    },
    { pricing: DEFAULT_PRICING_MODEL, version: 1, tariff: 'dynamic' },
    'day-ahead',
    0,
  );
  if ('reason' in p) throw new Error(p.detail);
  return p;
};

describe('what-if: re-pricing a stored window under other parameters', () => {
  it('re-prices each interval from the inputs it was priced with, and each household’s cost at both', () => {
    const stored = [published(0, 10_000), published(1, 45_000)]; // levels 1 and 4 at 15 and 100 JPY
    const cheaperPeak: PricingModel = { ...DEFAULT_PRICING_MODEL, levelPrices: ['15', '40', '60', '80', '120'] };
    const energy = new Map([
      [
        'home-1',
        [
          { intervalStart: 0, intervalEnd: HALF, consumptionWh: 1000, generationWh: 0 },
          { intervalStart: HALF, intervalEnd: 2 * HALF, consumptionWh: 2000, generationWh: 0 },
        ],
      ],
    ]);
    const result = simulate(stored, cheaperPeak, energy);
    expect(result.intervals.map((i) => [i.published.price, i.simulated?.price])).toEqual([
      ['15.0000', '15.0000'],
      ['100.0000', '80.0000'],
    ]);
    expect(result.households).toEqual([
      {
        meterId: 'home-1',
        consumptionWh: 3000,
        generationWh: 0,
        publishedCost: '215.0000',
        simulatedCost: '175.0000',
        change: '-40.0000',
        changePct: -18.6,
      },
    ]);
    expect(result.skipped).toBe(0);
  });
});
