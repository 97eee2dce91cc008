import Decimal from 'decimal.js';
import fc from 'fast-check';
import { buildBill } from './billing';
import type { MeterIntervalEnergy } from './billing';
import { billingRates } from './billing/terms';
import { DomainError } from './errors';
import type { Price, PricingVersion } from './prices';
import { householdRates, isTariffCode, planWithChange, tariffAt, tariffRatesOf, tariffsFrom, type TariffPeriod } from './tariff-plans';

const HALF = 1_800_000;
const DAY = Date.UTC(2013, 11, 2);
const ON_FLAT: TariffPeriod[] = [
  { tariff: 'dtou', from: null },
  { tariff: 'flat', from: DAY + 20 * HALF },
];

const version = (tariff: string, pricing: PricingVersion['pricing']): PricingVersion => ({
  regionId: 'lcl',
  tariff,
  version: 1,
  effectiveFrom: null,
  pricing,
  createdAt: 0,
});
const VERSIONS = new Map([
  ['dtou', [version('dtou', { model: 'schedule', currency: 'GBP', fallbackPrice: '0.1176', standingChargePerDay: '0.20' })]],
  ['flat', [version('flat', { model: 'flat', currency: 'GBP', price: '0.14228', standingChargePerDay: '0.10' })]],
]);

describe('a household’s tariff plan', () => {
  it('is on its provisioning tariff until a change, then on the new one from that interval start', () => {
    expect(tariffAt(ON_FLAT, DAY)).toBe('dtou');
    expect(tariffAt(ON_FLAT, DAY + 20 * HALF - 1)).toBe('dtou');
    expect(tariffAt(ON_FLAT, DAY + 20 * HALF)).toBe('flat');
    expect(tariffsFrom(ON_FLAT, DAY)).toEqual(['dtou', 'flat']);
    expect(tariffsFrom(ON_FLAT, DAY + 20 * HALF)).toEqual(['flat']);
  });

  it('refuses a change to a tariff the region does not offer, off an interval start, or reaching back before the next interval', () => {
    const now = DAY + 3 * HALF + 60_000;
    const offered = ['dtou', 'flat'];
    const refusal = (change: { tariff: string; from: number }) => {
      try {
        planWithChange([{ tariff: 'dtou', from: null }], change, offered, now, HALF);
        return null;
      } catch (e) {
        return [(e as DomainError).code, (e as DomainError).details.field];
      }
    };
    expect(refusal({ tariff: 'agile', from: DAY + 10 * HALF })).toEqual(['validation_failed', 'tariff']);
    expect(refusal({ tariff: 'flat', from: DAY + 10 * HALF + 60_000 })).toEqual(['validation_failed', 'effectiveFrom']);
    // The interval running now (03:00–03:30 here, `now` 01:31 into it) keeps its tariff: never retroactive.
    expect(refusal({ tariff: 'flat', from: DAY + 3 * HALF })).toEqual(['validation_failed', 'effectiveFrom']);
    expect(refusal({ tariff: 'dtou', from: DAY + 10 * HALF })).toEqual(['conflict', 'tariff']);
    expect(planWithChange([{ tariff: 'dtou', from: null }], { tariff: 'flat', from: DAY + 4 * HALF }, offered, now, HALF)).toEqual([
      { tariff: 'dtou', from: null },
      { tariff: 'flat', from: DAY + 4 * HALF },
    ]);
  });

  it('replaces the changes it overtakes: the latest request decides the future, the past stays', () => {
    const plan: TariffPeriod[] = [
      { tariff: 'dtou', from: null },
      { tariff: 'flat', from: DAY + 10 * HALF },
      { tariff: 'dtou', from: DAY + 30 * HALF },
    ];
    expect(planWithChange(plan, { tariff: 'agile', from: DAY + 20 * HALF }, ['dtou', 'flat', 'agile'], DAY, HALF)).toEqual([
      { tariff: 'dtou', from: null },
      { tariff: 'flat', from: DAY + 10 * HALF },
      { tariff: 'agile', from: DAY + 20 * HALF },
    ]);
  });

  it('names tariffs by topic levels, never `current` or `forecast`', () => {
    for (const ok of ['dynamic', 'flat', 'dtou-2013', 'E-1R.AGILE_24']) expect([ok, isTariffCode(ok)]).toEqual([ok, true]);
    for (const no of ['current', 'forecast', '', 'a/b', 'a+b', '#', '-flat', 'x'.repeat(33)])
      expect([no, isTariffCode(no)]).toEqual([no, false]);
  });
});

describe('householdRates', () => {
  const priced = (tariff: string, start: number, price: string): Price => ({
    regionId: 'lcl',
    tariff,
    intervalStart: start,
    intervalEnd: start + HALF,
    validFrom: start,
    validTo: start + HALF,
    price,
    priceExTax: price,
    tax: '0',
    currency: 'GBP',
    unit: 'kWh',
    level: 3,
    firm: true,
    basis: 'day-ahead',
    forecastDemandWh: null,
    forecastSupplyWh: null,
    model: tariff === 'flat' ? 'flat' : 'schedule',
    modelVersion: 1,
    feedInPrice: '0',
  });
  const starts = Array.from({ length: 96 }, (_, i) => DAY + i * HALF);
  const prices = new Map([
    ['dtou', starts.map((s, i) => priced('dtou', s, i % 48 >= 32 && i % 48 < 38 ? '0.6720' : '0.1176'))],
    ['flat', starts.map((s) => priced('flat', s, '0.14228'))],
  ]);
  const ratesOf = tariffRatesOf(prices, VERSIONS);

  it('bills each interval at the tariff the household was on at its start, each day under the terms of the tariff at its start', () => {
    const rates = householdRates(ON_FLAT, ratesOf);
    expect(rates.priceAt(DAY + 19 * HALF).price).toBe('0.1176');
    expect(rates.priceAt(DAY + 33 * HALF).price).toBe('0.14228');
    expect(rates.termsOn(DAY).standingChargePerDay).toBe('0.20');
    expect(rates.termsOn(DAY + 48 * HALF).standingChargePerDay).toBe('0.10');
  });

  it('gives a one-tariff household exactly that tariff’s rates', () => {
    const rates = householdRates([{ tariff: 'flat', from: null }], ratesOf);
    const flat = billingRates(prices.get('flat')!, VERSIONS.get('flat')!);
    for (const s of starts) expect(rates.priceAt(s)).toEqual(flat.priceAt(s));
  });

  it('adds up: a bill over a change of tariff is the bill on the first tariff before it plus the bill on the second after it, to the penny', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 95 }),
        fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 96, maxLength: 96 }),
        (at, whs) => {
          const change = DAY + at * HALF;
          const plan: TariffPeriod[] = [
            { tariff: 'dtou', from: null },
            { tariff: 'flat', from: change },
          ];
          const energy: MeterIntervalEnergy[] = starts.map((s, i) => ({
            intervalStart: s,
            intervalEnd: s + HALF,
            consumptionWh: whs[i],
            generationWh: 0,
          }));
          const bill = (from: number, to: number, rates: ReturnType<typeof householdRates>) =>
            buildBill({ timeZone: 'UTC', from, to, energy, groupBy: 'interval', ...rates });
          const whole = bill(DAY, DAY + 96 * HALF, householdRates(plan, ratesOf));
          const before = bill(DAY, change, ratesOf('dtou'));
          const after = bill(change, DAY + 96 * HALF, ratesOf('flat'));
          // Each bill's charge is its exact sum shown to 0.000001: the parts add up to the whole within that rounding (so to
          // the penny, whichever side of a half penny the whole falls: comparing pennies rounded apart does not hold).
          const parts = new Decimal(before.totals.energyCharge).plus(after.totals.energyCharge);
          expect(parts.minus(whole.totals.energyCharge).abs().lte('0.000002')).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });
});
