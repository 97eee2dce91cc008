import { DEFAULT_PRICING_MODEL, priceInterval } from '../pricing';

// A sunny noon: rooftop generation covers the region's consumption, so net demand is zero.
describe('solar surplus at noon', () => {
  const noon = { regionId: 'r', intervalStart: Date.UTC(2012, 0, 15, 2), intervalEnd: Date.UTC(2012, 0, 15, 2, 30) };

  it('prices at level 1 when generation exceeds consumption', () => {
    const price = priceInterval({ ...noon, demandWh: 60_000, supplyWh: 70_000 }, DEFAULT_PRICING_MODEL);
    expect(price).toMatchObject({ level: 1, price: '15.0000', demandWh: 60_000, supplyWh: 70_000 });
  });

  it('drops from critical peak to a lower level once local supply offsets demand', () => {
    expect(priceInterval({ ...noon, demandWh: 55_000, supplyWh: 0 }, DEFAULT_PRICING_MODEL).level).toBe(5);
    expect(priceInterval({ ...noon, demandWh: 55_000, supplyWh: 20_000 }, DEFAULT_PRICING_MODEL).level).toBe(3);
  });
});
