import { priceInterval, type PublishedSchedule } from '../pricing';
import { halfHour } from './inputs';

// LCL's 2013 dynamic time-of-use tariff: Low 3.99p, Normal 11.76p, High 67.20p per kWh.
const lcl: PublishedSchedule = { model: 'schedule', currency: 'GBP', fallbackPrice: '0.1176' };

describe('an imported published schedule is applied as it is', () => {
  it.each([
    ['Low', '0.0399', '0.0399', 1],
    ['Normal', '0.1176', '0.1176', 3],
    ['High', '0.672', '0.6720', 5],
  ])('a %s half hour at %s GBP/kWh is published as %s, level %i', (band, price, published, level) => {
    expect(priceInterval(halfHour(0, { scheduledPrice: { price, band } }), lcl)).toMatchObject({ ok: true, price: published, level, band });
  });

  it('cannot price an interval the schedule does not cover', () => {
    expect(priceInterval(halfHour(0), lcl)).toMatchObject({ ok: false, reason: 'no_scheduled_price' });
  });
});
