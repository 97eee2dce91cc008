import fc from 'fast-check';
import { DEFAULT_PRICING_MODEL, priceInterval, type PricingModel } from '../pricing';

// 100 kW of capacity over half an hour = 50,000 Wh; thresholds 50/70/85/100 % of it.
const model = DEFAULT_PRICING_MODEL as Extract<PricingModel, { model: 'critical-peak-5' }>;
const half = (demandWh: number, supplyWh = 0) => ({
  regionId: 'kitakyushu-higashida',
  intervalStart: Date.UTC(2013, 11, 2, 18),
  intervalEnd: Date.UTC(2013, 11, 2, 18, 30),
  demandWh,
  supplyWh,
});

describe('critical-peak-5: five levels from net demand over capacity', () => {
  it.each([
    [0, 1, '15.0000'],
    [24_999, 1, '15.0000'],
    [25_000, 2, '50.0000'],
    [35_000, 3, '75.0000'],
    [42_500, 4, '100.0000'],
    [50_000, 5, '150.0000'],
    [90_000, 5, '150.0000'],
  ])('demand %i Wh in half an hour is level %i at %s JPY/kWh', (demandWh, level, price) => {
    expect(priceInterval(half(demandWh), model)).toMatchObject({ level, price, currency: 'JPY', unit: 'kWh', model: 'critical-peak-5' });
  });

  it('scales capacity with the interval length: the same demand over an hour is a lower level', () => {
    const hour = { ...half(30_000), intervalEnd: Date.UTC(2013, 11, 2, 19) };
    expect(priceInterval(half(30_000), model).level).toBe(2);
    expect(priceInterval(hour, model).level).toBe(1);
  });

  it('never lowers the level when demand rises (property)', () => {
    fc.assert(
      fc.property(fc.nat(200_000), fc.nat(200_000), fc.nat(100_000), (a, b, supply) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        expect(priceInterval(half(high, supply), model).level).toBeGreaterThanOrEqual(priceInterval(half(low, supply), model).level);
      }),
    );
  });
});
