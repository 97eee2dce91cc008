import fc from 'fast-check';
import { correctIntraday } from '../forecast';
import { DEFAULT_PRICING_MODEL, priceSequence, type PriceInputs } from '../pricing';
import { firmPrice, firmPrices, type PricingVersion } from '../prices';

const HALF = 1_800_000;
const DAY = Date.UTC(2013, 11, 3, 15); // midnight in Kitakyushu
const versions: PricingVersion[] = [
  { regionId: 'k', tariff: 'dynamic', version: 1, effectiveFrom: null, pricing: { ...DEFAULT_PRICING_MODEL, maxStep: '40' }, createdAt: 0 },
  {
    regionId: 'k',
    tariff: 'dynamic',
    version: 2,
    effectiveFrom: DAY + 24 * HALF,
    pricing: { ...DEFAULT_PRICING_MODEL, levelPrices: ['20', '55', '80', '110', '160'], maxStep: '40' },
    createdAt: 0,
  },
];
const inputs = (demands: (number | null)[]): Omit<PriceInputs, 'previousPriceExTax'>[] =>
  demands.map((d, i) => ({
    regionId: 'k',
    intervalStart: DAY + i * HALF,
    intervalEnd: DAY + (i + 1) * HALF,
    timeZone: 'Asia/Tokyo',
    forecastDemandWh: d,
    forecastSupplyWh: d === null ? null : 0,
    forecastMethod: d === null ? null : 'same-slot-same-day-type',
    wholesalePrice: null,
    scheduledPrice: null,
    event: null,
  }));

describe('a day-ahead schedule priced as one sequence', () => {
  it('is priceSequence under the version in force at each interval, ramp-limited across a gap the model cannot price', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: 0, max: 120_000 }), { nil: null }), { minLength: 1, maxLength: 48 }),
        fc.option(fc.constantFrom('15', '150'), { nil: null }),
        (demands, previous) => {
          const day = inputs(demands);
          const tariffs = firmPrices(day, versions, previous, 'day-ahead', DAY - 8 * HALF);
          const expected = priceSequence(day, (start) => (start >= DAY + 24 * HALF ? versions[1] : versions[0]).pricing, previous);
          // One firm price per interval the model could price, each the sequence's, under its version.
          expect(tariffs.map((t) => [t.intervalStart, t.price, t.level, t.modelVersion])).toEqual(
            expected.flatMap((p, i) =>
              p.ok ? [[day[i].intervalStart, p.price, p.level, day[i].intervalStart >= DAY + 24 * HALF ? 2 : 1]] : [],
            ),
          );
          // Each explanation names the previous firm price it was ramped from, so it recomputes alone.
          for (const t of tariffs)
            expect(
              firmPrice(
                t.explanation!.inputs,
                { pricing: t.explanation!.parameters, version: t.modelVersion, tariff: t.tariff },
                'day-ahead',
                t.computedAt,
              ),
            ).toEqual(t);
        },
      ),
    );
  });

  it('carries the ramp over an interval without a forecast (it gets the fallback, the next is limited against the last firm price)', () => {
    const [first, third] = firmPrices(inputs([120_000, null, 0]), versions, null, 'day-ahead', 0);
    expect([first.price, third.intervalStart, third.price, third.explanation?.constrainedBy]).toEqual([
      '150.0000',
      DAY + 2 * HALF,
      '110.0000',
      ['ramp'],
    ]);
  });
});

describe('the intraday correction', () => {
  const profile = { intervalStart: DAY, demandWh: 800, supplyWh: 50, method: 'same-slot-same-day-type' as const, samples: 4 };

  it('scales the profile by how the last measured interval compared with its own forecast', () => {
    expect(correctIntraday(DAY, profile, { demandWh: 1200, supplyWh: 0 }, { demandWh: 1000 })).toEqual({ ...profile, demandWh: 960 });
  });

  it('keeps the profile when the measured interval had no usable forecast, and uses the measurement without a profile', () => {
    expect(correctIntraday(DAY, profile, { demandWh: 1200, supplyWh: 0 }, null)).toBe(profile);
    expect(correctIntraday(DAY, profile, { demandWh: 1200, supplyWh: 0 }, { demandWh: 0 })).toBe(profile);
    expect(correctIntraday(DAY, null, { demandWh: 1200, supplyWh: 30 }, { demandWh: 1000 })).toEqual({
      intervalStart: DAY,
      demandWh: 1200,
      supplyWh: 30,
      method: 'same-slot-any-day',
      samples: 1,
    });
  });
});
