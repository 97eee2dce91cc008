import Decimal from 'decimal.js';
import fc from 'fast-check';
import { priceInterval, priceSequence, type CriticalPeak5, type PricingModel } from '../pricing';
import { halfHour } from './inputs';

const cp5: CriticalPeak5 = {
  model: 'critical-peak-5',
  currency: 'JPY',
  levelPrices: ['15', '50', '75', '100', '150'],
  capacityKw: 100,
  thresholds: [0.5, 0.7, 0.85, 1.0],
  floor: '20',
  cap: '120',
  maxStep: '30',
  taxRate: '0.10',
};

describe('floor, cap, ramp and tax', () => {
  it('raises level 1 to the floor and lowers level 5 to the cap, saying so', () => {
    expect(priceInterval(halfHour(0, { forecastDemandWh: 0 }), cp5)).toMatchObject({
      rawPriceExTax: '15.0000',
      priceExTax: '20.0000',
      constrainedBy: ['floor'],
    });
    expect(priceInterval(halfHour(0, { forecastDemandWh: 99_000 }), cp5)).toMatchObject({
      level: 4,
      modelLevel: 5,
      priceExTax: '120.0000',
      constrainedBy: ['cap'],
    });
  });

  it("announces the level of the price charged once ramp, cap or floor moved it, keeping the model's level beside it", () => {
    // Level 5's 150 ramped down from 50 to 80: 80 is at level 3's rung (75), not 5.
    expect(priceInterval(halfHour(0, { forecastDemandWh: 99_000, previousPriceExTax: '50' }), cp5)).toMatchObject({
      level: 3,
      modelLevel: 5,
      priceExTax: '80.0000',
    });
    // Level 1's 15 floored at 20 stays level 1 (below level 2's 50); level 5 capped at 120 is at level 4's 100.
    expect(priceInterval(halfHour(0, { forecastDemandWh: 0 }), cp5)).toMatchObject({ level: 1, modelLevel: 1 });
    expect(priceInterval(halfHour(0, { forecastDemandWh: 99_000 }), cp5)).toMatchObject({ level: 4, modelLevel: 5 });
    // Unconstrained, the model's level stands.
    expect(priceInterval(halfHour(0, { forecastDemandWh: 30_000, previousPriceExTax: '60' }), cp5)).toMatchObject({
      level: 2,
      modelLevel: 2,
      constrainedBy: [],
    });
  });

  it('a price moved by ramp, cap or floor is never shown at a level whose rung is above it (property)', () => {
    fc.assert(
      fc.property(fc.nat(120_000), fc.integer({ min: 0, max: 200 }), (demand, previous) => {
        const p = priceInterval(halfHour(0, { forecastDemandWh: demand, previousPriceExTax: String(previous) }), cp5);
        if (!p.ok) throw new Error(p.detail);
        const rung = new Decimal(cp5.levelPrices[p.level - 1]);
        const ladder: string[] = cp5.levelPrices;
        const next = p.level < 5 ? new Decimal(ladder[p.level]) : null;
        const charged = new Decimal(p.priceExTax);
        expect(
          p.level === 1
            ? next === null || charged.lessThan(next)
            : charged.greaterThanOrEqualTo(rung) && (next === null || charged.lessThan(next)),
        ).toBe(true);
      }),
    );
  });

  it('limits the step from the previous interval and shows tax apart (Japan 10 %)', () => {
    expect(priceInterval(halfHour(0, { forecastDemandWh: 99_000, previousPriceExTax: '50' }), cp5)).toMatchObject({
      priceExTax: '80.0000',
      tax: '8.0000',
      price: '88.0000',
      constrainedBy: ['ramp'],
    });
  });

  it('a declared critical-peak event jumps straight to its level (announced with notice), within the cap', () => {
    expect(priceInterval(halfHour(0, { forecastDemandWh: 0, previousPriceExTax: '20', event: { id: 'ev', level: 5 } }), cp5)).toMatchObject(
      { level: 4, modelLevel: 5, priceExTax: '120.0000', constrainedBy: ['cap'] },
    );
  });

  it('a day priced in sequence climbs to the evening peak by the ramp', () => {
    const demand = [10_000, 60_000, 60_000, 60_000, 10_000];
    const priced = priceSequence(
      demand.map((d, i) => halfHour(i * 1_800_000, { forecastDemandWh: d })),
      () => cp5,
      null,
    );
    expect(priced.map((p) => (p.ok ? p.priceExTax : null))).toEqual(['20.0000', '50.0000', '80.0000', '110.0000', '80.0000']);
  });

  it('always within floor and cap, within the ramp of its predecessor, tax = rate × price (property)', () => {
    const model = fc.record({
      floor: fc.integer({ min: 0, max: 60 }),
      span: fc.integer({ min: 1, max: 200 }),
      step: fc.integer({ min: 1, max: 100 }),
      tax: fc.integer({ min: 0, max: 25 }),
    });
    fc.assert(
      fc.property(
        model,
        fc.array(fc.nat(120_000), { minLength: 1, maxLength: 48 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (m, demand, startAt) => {
          const pricing: PricingModel = {
            ...cp5,
            floor: String(m.floor),
            cap: String(m.floor + m.span),
            maxStep: String(m.step),
            taxRate: (m.tax / 100).toFixed(2),
          };
          const previous = new Decimal(m.floor).plus(new Decimal(m.span).times(startAt.toFixed(3))).toFixed(3);
          const priced = priceSequence(
            demand.map((d, i) => halfHour(i * 1_800_000, { forecastDemandWh: d })),
            () => pricing,
            previous,
          );
          let prev = new Decimal(previous);
          for (const p of priced) {
            if (!p.ok) throw new Error(p.detail);
            const x = new Decimal(p.priceExTax);
            expect(x.gte(m.floor) && x.lte(m.floor + m.span)).toBe(true);
            expect(x.minus(prev).abs().lte(m.step)).toBe(true);
            expect(new Decimal(p.tax).equals(x.times(pricing.taxRate!).toDecimalPlaces(6))).toBe(true);
            expect(new Decimal(p.price).equals(x.plus(p.tax))).toBe(true);
            prev = x;
          }
        },
      ),
    );
  });
});
