import fc from 'fast-check';
import { priceInterval, type WholesaleIndexed } from '../pricing';
import { halfHour } from './inputs';

// Octopus Agile's published formula (GB, 2018–2022): min(2.2 × W + 12p in 16:00–19:00, 35p), in GBP.
const agile: WholesaleIndexed = {
  model: 'wholesale-indexed',
  currency: 'GBP',
  multiplier: '2.2',
  peakAdder: '0.12',
  peakFrom: '16:00',
  peakTo: '19:00',
  cap: '0.35',
  taxRate: '0.05',
};
const london = (iso: string, wholesale: string | null) =>
  halfHour(Date.parse(iso), { timeZone: 'Europe/London', wholesalePrice: wholesale });

describe('wholesale-indexed (Agile shape)', () => {
  it('outside the peak: 2.2 × W, VAT shown apart', () => {
    expect(priceInterval(london('2019-03-04T11:00:00Z', '0.04'), agile)).toMatchObject({
      ok: true,
      priceExTax: '0.0880',
      tax: '0.0044',
      price: '0.0924',
    });
  });

  it('in the peak window (local time, summer offset) the adder applies, and the cap holds', () => {
    // 17:00 BST is 16:00 UTC.
    expect(priceInterval(london('2019-07-01T16:00:00Z', '0.04'), agile)).toMatchObject({ priceExTax: '0.2080', band: 'peak' });
    expect(priceInterval(london('2019-07-01T16:00:00Z', '0.20'), agile)).toMatchObject({ priceExTax: '0.3500', level: 5 });
  });

  it('negative wholesale prices pass through (Agile paid households to consume)', () => {
    expect(priceInterval(london('2019-03-04T03:00:00Z', '-0.01'), agile)).toMatchObject({ priceExTax: '-0.0220', level: 1 });
  });

  it('cannot price without the wholesale price of the interval', () => {
    expect(priceInterval(london('2019-03-04T11:00:00Z', null), agile)).toMatchObject({ ok: false, reason: 'no_wholesale_price' });
  });

  it('is monotone in the wholesale price (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5000, max: 50_000 }), fc.integer({ min: -5000, max: 50_000 }), (a, b) => {
        const [lo, hi] = [Math.min(a, b), Math.max(a, b)].map((v) => (v / 100_000).toFixed(5));
        const p = (w: string) => priceInterval(london('2019-03-04T17:00:00Z', w), agile);
        const [x, y] = [p(lo), p(hi)];
        if (!x.ok || !y.ok) throw new Error('unpriced');
        expect(Number(y.price)).toBeGreaterThanOrEqual(Number(x.price));
        expect(y.level).toBeGreaterThanOrEqual(x.level);
      }),
    );
  });
});
