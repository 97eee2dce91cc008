import { priceInterval, type PricingModel } from '../pricing';
import { halfHour } from './inputs';

describe('flat tariff', () => {
  it('charges the flat price whatever the forecast, keeping the precision the tariff has', () => {
    // The LCL trial's standard rate, 14.228 p/kWh, as GBP: five places, kept (not rounded to 0.1423).
    const model: PricingModel = { model: 'flat', currency: 'GBP', price: '0.14228' };
    expect(priceInterval(halfHour(0), model)).toMatchObject({ ok: true, price: '0.14228', level: 1 });
    expect(priceInterval(halfHour(0, { forecastDemandWh: 1e9 }), model)).toMatchObject({ price: '0.14228' });
    expect(priceInterval(halfHour(0), { model: 'flat', currency: 'GBP', price: '0.0399' })).toMatchObject({ price: '0.0399' });
  });
});
