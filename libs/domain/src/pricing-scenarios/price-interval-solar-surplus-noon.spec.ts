import { DEFAULT_PRICING_MODEL, priceInterval } from '../pricing';
import { halfHour } from './inputs';

// A sunny noon: forecast rooftop generation covers the region's consumption, so net demand is zero.
describe('solar surplus at noon', () => {
  const noon = Date.UTC(2012, 0, 15, 2);
  const forecast = (demandWh: number, supplyWh: number) => halfHour(noon, { forecastDemandWh: demandWh, forecastSupplyWh: supplyWh });

  it('prices at level 1 when forecast generation exceeds consumption', () => {
    expect(priceInterval(forecast(60_000, 70_000), DEFAULT_PRICING_MODEL)).toMatchObject({ level: 1, price: '15.0000', utilisation: 0 });
  });

  it('drops from critical peak to a lower level once local supply offsets demand', () => {
    expect(priceInterval(forecast(55_000, 0), DEFAULT_PRICING_MODEL)).toMatchObject({ level: 5 });
    expect(priceInterval(forecast(55_000, 20_000), DEFAULT_PRICING_MODEL)).toMatchObject({ level: 3 });
  });
});
