import { priceInterval, type TimeOfUse } from '../pricing';
import { halfHour } from './inputs';

// A two-season, three-band tariff in Tokyo time: winter weekday evenings are the peak.
const tou: TimeOfUse = {
  model: 'time-of-use',
  currency: 'JPY',
  bands: [
    { name: 'winter-peak', level: 5, price: '45', from: '17:00', to: '20:00', days: ['weekday'], months: [12, 1, 2] },
    { name: 'night', level: 1, price: '18', from: '23:00', to: '07:00' },
  ],
  otherwise: { name: 'day', level: 3, price: '30' },
};
const tokyo = (iso: string) => halfHour(Date.parse(iso), { timeZone: 'Asia/Tokyo' });

describe('time-of-use bands by season, day type and local clock', () => {
  it.each([
    ['a winter weekday at 18:00 Tokyo time', '2013-12-02T09:00:00Z', 'winter-peak', '45.0000'],
    ['the same clock time on a Saturday', '2013-12-07T09:00:00Z', 'day', '30.0000'],
    ['the same clock time in summer', '2013-07-01T09:00:00Z', 'day', '30.0000'],
    ['half past midnight (a band across midnight)', '2013-12-02T15:30:00Z', 'night', '18.0000'],
    ['06:30, still night', '2013-12-02T21:30:00Z', 'night', '18.0000'],
    ['07:00, day again', '2013-12-02T22:00:00Z', 'day', '30.0000'],
  ])('%s is the %s band at %s', (_what, iso, band, price) => {
    expect(priceInterval(tokyo(iso), tou)).toMatchObject({ ok: true, band, price });
  });
});
