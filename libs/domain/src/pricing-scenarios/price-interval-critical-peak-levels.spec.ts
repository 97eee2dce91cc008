import fc from 'fast-check';
import { DEFAULT_PRICING_MODEL, priceInterval, type PricedInterval } from '../pricing';
import { halfHour } from './inputs';

// 100 kW of capacity over half an hour = 50,000 Wh; thresholds 50/70/85/100 % of it.
const model = DEFAULT_PRICING_MODEL;
const at = Date.UTC(2013, 11, 2, 18);
const forecast = (demandWh: number, supplyWh = 0) =>
  halfHour(at, { forecastDemandWh: demandWh, forecastSupplyWh: supplyWh, forecastMethod: 'same-slot-same-day-type' });
const ok = (p: PricedInterval) => {
  if (!p.ok) throw new Error(p.detail);
  return p;
};

describe('critical-peak-5: five levels from forecast net demand over capacity, ex ante', () => {
  it.each([
    [0, 1, '15.0000'],
    [24_999, 1, '15.0000'],
    [25_000, 2, '50.0000'],
    [35_000, 3, '75.0000'],
    [42_500, 4, '100.0000'],
    [50_000, 5, '150.0000'],
    [90_000, 5, '150.0000'],
  ])('a forecast of %i Wh in half an hour is level %i at %s JPY/kWh', (demandWh, level, price) => {
    expect(priceInterval(forecast(demandWh), model)).toMatchObject({ ok: true, level, price, priceExTax: price, tax: '0.0000' });
  });

  it('scales capacity with the interval length: the same demand over an hour is a lower level', () => {
    const hour = { ...forecast(30_000), intervalEnd: at + 3_600_000 };
    expect(ok(priceInterval(forecast(30_000), model)).level).toBe(2);
    expect(ok(priceInterval(hour, model)).level).toBe(1);
  });

  it('cannot price an interval without a forecast (the platform publishes the fallback instead)', () => {
    expect(priceInterval(halfHour(at), model)).toMatchObject({ ok: false, reason: 'no_forecast' });
  });

  it('a declared critical-peak event overrides the forecast level for its window', () => {
    expect(priceInterval({ ...forecast(1_000), event: { id: 'ev1', level: 5 } }, model)).toMatchObject({
      ok: true,
      level: 5,
      price: '150.0000',
      band: 'event ev1',
    });
  });

  it('never lowers the level when forecast demand rises, and is deterministic (property)', () => {
    fc.assert(
      fc.property(fc.nat(200_000), fc.nat(200_000), fc.nat(100_000), (a, b, supply) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const hi = ok(priceInterval(forecast(high, supply), model));
        const lo = ok(priceInterval(forecast(low, supply), model));
        expect(hi.level).toBeGreaterThanOrEqual(lo.level);
        expect(Number(hi.price)).toBeGreaterThanOrEqual(Number(lo.price));
        expect(priceInterval(forecast(high, supply), model)).toEqual(hi);
      }),
    );
  });
});
