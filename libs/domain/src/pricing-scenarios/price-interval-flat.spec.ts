import { priceInterval, type PricingModel } from '../pricing';

describe('flat tariff', () => {
  it('charges the flat price whatever the demand, as a 4-decimal string', () => {
    // The LCL trial's standard rate, 14.228 p/kWh, as GBP.
    const model: PricingModel = { model: 'flat', currency: 'GBP', price: '0.14228' };
    const at = (demandWh: number) => priceInterval({ regionId: 'r', intervalStart: 0, intervalEnd: 1_800_000, demandWh, supplyWh: 0 }, model);
    expect(at(0)).toMatchObject({ price: '0.1423', level: 1, currency: 'GBP', model: 'flat' });
    expect(at(1e9).price).toBe('0.1423');
  });
});
