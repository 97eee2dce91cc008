import { DomainError } from '../errors';
import { priceInterval, validatePricingModel } from '../pricing';

describe('flat tariff and model validation', () => {
  it('charges the flat price whatever the demand, as a 4-decimal string', () => {
    const model = validatePricingModel({ model: 'flat', currency: 'GBP', price: '14.228' });
    const at = (demandWh: number) => priceInterval({ regionId: 'r', intervalStart: 0, intervalEnd: 1_800_000, demandWh, supplyWh: 0 }, model);
    expect(at(0)).toMatchObject({ price: '14.2280', level: 1, currency: 'GBP' });
    expect(at(1e9).price).toBe('14.2280');
  });

  it('names the bad field of an invalid model', () => {
    expect(() => validatePricingModel({ model: 'critical-peak-5', currency: 'JPY', levelPrices: ['1', '2'], capacityKw: 1, thresholds: [0.1, 0.2, 0.3, 0.4] })).toThrow(
      expect.objectContaining({ code: 'validation_failed', details: { field: 'pricing.levelPrices' } }) as DomainError,
    );
    expect(() => validatePricingModel({ model: 'critical-peak-5', currency: 'JPY', levelPrices: ['1', '2', '3', '4', '5'], capacityKw: 1, thresholds: [0.5, 0.4, 0.6, 0.7] })).toThrow('pricing.thresholds');
    expect(() => validatePricingModel({ model: 'spot', currency: 'JPY' })).toThrow('pricing.model');
  });
});
