import Decimal from 'decimal.js';
import fc from 'fast-check';
import { periodKey } from '../local-time';
import {
  billingRates,
  buildBill,
  householdSummary,
  protectionUsedExact,
  type BillingPrice,
  type BillingTerms,
  type MeterIntervalEnergy,
} from '.';

const HALF = 1_800_000;
const DAY = Date.UTC(2012, 0, 16); // Sydney, summer: local days start at 13:00 UTC
const dynamic = (price: string): BillingPrice => ({ price, priceExTax: price, tax: '0.0000', feedInPrice: '0.08', basis: 'day-ahead' });
const terms = (over: Partial<BillingTerms> = {}): BillingTerms => ({
  referencePrice: '0.25',
  standingChargePerDay: '1.00',
  taxRate: '0.10',
  protectionCapPerYear: null,
  ...over,
});
const energy = (start: number, n: number, consumptionWh: number, generationWh: number): MeterIntervalEnergy[] =>
  Array.from({ length: n }, (_, i) => ({
    intervalStart: start + i * HALF,
    intervalEnd: start + (i + 1) * HALF,
    consumptionWh,
    generationWh,
  }));

describe('bills', () => {
  it('a solar home: consumption at its price, exported generation credited at the feed-in price, standing charge with tax apart', () => {
    const bill = buildBill({
      timeZone: 'UTC',
      from: DAY,
      to: DAY + 48 * HALF, // the whole local day: its whole standing charge
      energy: energy(DAY, 2, 500, 1500),
      priceAt: () => ({ price: '0.33', priceExTax: '0.30', tax: '0.03', feedInPrice: '0.08', basis: 'day-ahead' }),
      termsOn: () => terms(),
      groupBy: 'interval',
    });
    // 1 kWh × 0.30 + tax 0.03 + standing 1.00 (+0.10 tax) − 3 kWh × 0.08
    expect(bill.totals).toMatchObject({
      consumptionWh: 1000,
      generationWh: 3000,
      energyCharge: '0.3000',
      tax: '0.1300',
      standingCharge: '1.0000',
      exportCredit: '0.2400',
      total: '1.1900',
    });
    expect(bill.lines[0]).toMatchObject({ energyCharge: '0.1500', exportCredit: '0.1200', cost: '0.0450' });
    // shadow: 1 kWh × 0.25 − 0.24 + 1.10
    expect(bill.shadow).toEqual({ total: '1.1100', difference: '0.0800' });
  });

  it('protection refunds each day’s excess over the shadow bill until the year’s cap is spent, whatever the bill boundaries', () => {
    // Every day costs 1.92 kWh × (0.50 − 0.25) = 0.48 more than the shadow bill; the cap is 1.20 a year.
    const days = 4;
    const input = (from: number, to: number) => ({
      timeZone: 'UTC',
      from,
      to,
      energy: energy(Date.UTC(2012, 0, 1), days * 48, 40, 0).map((e, i) => ({
        ...e,
        intervalStart: Date.UTC(2012, 0, 1) + i * HALF,
        intervalEnd: Date.UTC(2012, 0, 1) + (i + 1) * HALF,
      })),
      priceAt: () => dynamic('0.50'),
      termsOn: () => terms({ standingChargePerDay: '0', protectionCapPerYear: '1.20' }),
      groupBy: 'day' as const,
    });
    const whole = buildBill(input(Date.UTC(2012, 0, 1), Date.UTC(2012, 0, 5)));
    expect(whole.protection).toMatchObject({ capPerYear: '1.2000', usedBefore: '0.0000', refund: '1.2000', remaining: '0.0000' });
    expect(whole.groups.map((g) => g.protectionRefund)).toEqual(['0.4800', '0.4800', '0.2400', '0.0000']);
    expect(whole.due).toBe(new Decimal(whole.totals.total).minus('1.2').toFixed(4));
    const third = buildBill(input(Date.UTC(2012, 0, 3), Date.UTC(2012, 0, 4)));
    expect(third.protection).toMatchObject({ usedBefore: '0.9600', refund: '0.2400', usedAfter: '1.2000', remaining: '0.0000' });
  });

  it('a cap account carried in gives the same bill and summary as reading the year again (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ c: fc.nat(2_000_000).map((mwh) => mwh / 1000), p: fc.integer({ min: 500, max: 9000 }) }), {
          minLength: 96,
          maxLength: 48 * 6,
        }),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom('0.40', '2.00', '50'),
        (rows, splitDay, cap) => {
          const zone = 'Europe/London';
          const yearStart = Date.UTC(2013, 0, 1);
          const lines = rows.map((r, i) => ({
            intervalStart: yearStart + i * HALF,
            intervalEnd: yearStart + (i + 1) * HALF,
            consumptionWh: r.c,
            generationWh: 0,
          }));
          const common = {
            timeZone: zone,
            priceAt: (t: number) => dynamic((rows[(t - yearStart) / HALF].p / 10_000).toFixed(4)),
            termsOn: () => terms({ referencePrice: '0.14228', protectionCapPerYear: cap }),
          };
          const day = Math.min(splitDay, Math.ceil(rows.length / 48) - 1) * 48 * HALF + yearStart; // a local midnight before the end
          const to = yearStart + rows.length * HALF;
          const full = buildBill({ ...common, from: day, to, energy: lines, groupBy: 'day' });
          const before = buildBill({
            ...common,
            from: yearStart,
            to: day,
            energy: lines.filter((l) => l.intervalStart < day),
            groupBy: 'interval',
          });
          const usedBefore = protectionUsedExact({
            ...common,
            from: yearStart,
            to: day,
            energy: lines.filter((l) => l.intervalStart < day),
            groupBy: 'interval',
          });
          expect(new Decimal(usedBefore).toDecimalPlaces(6).equals(before.protection?.usedAfter ?? 0)).toBe(true);
          const carried = buildBill({
            ...common,
            from: day,
            to,
            energy: lines.filter((l) => l.intervalStart >= day - HALF),
            groupBy: 'day',
            protectionUsedBefore: usedBefore,
          });
          expect(carried.protection).toEqual(full.protection);
          expect([carried.due, carried.totals, carried.groups]).toEqual([full.due, full.totals, full.groups]);
          const summaryInput = { ...common, from: day, to: Math.min(to, day + 10 * HALF), groupBy: 'interval' as const };
          expect(
            householdSummary({
              ...summaryInput,
              energy: lines.filter((l) => l.intervalStart >= day - HALF),
              protectionUsedBefore: usedBefore,
            }),
          ).toEqual(householdSummary({ ...summaryInput, energy: lines }));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a window split at any instant gives two bills that add up to the bill of the whole, a part day billed pro rata (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ c: fc.nat(2_000_000).map((mwh) => mwh / 1000), p: fc.integer({ min: 500, max: 9000 }) }), {
          minLength: 48,
          maxLength: 48 * 4,
        }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.constantFrom(null, '0.40', '50'),
        (rows, a, b, c, cap) => {
          const zone = 'Europe/London';
          const start = Date.UTC(2013, 0, 1);
          const end = start + rows.length * HALF;
          const lines = rows.map((r, i) => ({
            intervalStart: start + i * HALF,
            intervalEnd: start + (i + 1) * HALF,
            consumptionWh: r.c,
            generationWh: 0,
          }));
          // Three instants to the minute in the data's span: from ≤ split ≤ to.
          const [from, split, to] = [a, b, c].map((n) => start + (n % ((end - start) / 60_000 + 1)) * 60_000).sort((x, y) => x - y);
          if (from === to) return;
          const bill = (f: number, t: number) =>
            buildBill({
              timeZone: zone,
              from: f,
              to: t,
              energy: lines,
              priceAt: (ms: number) => dynamic((rows[(ms - start) / HALF].p / 10_000).toFixed(4)),
              termsOn: () => terms({ referencePrice: '0.14228', protectionCapPerYear: cap }),
              groupBy: 'day',
            });
          const whole = bill(from, to);
          const [first, second] = [bill(from, split), bill(split, to)];
          const sum = (pick: (x: ReturnType<typeof bill>) => string | undefined) => new Decimal(pick(first) ?? 0).plus(pick(second) ?? 0);
          for (const pick of [
            (x: ReturnType<typeof bill>) => x.totals.total,
            (x: ReturnType<typeof bill>) => x.totals.standingCharge,
            (x: ReturnType<typeof bill>) => x.due,
            (x: ReturnType<typeof bill>) => x.protection?.refund,
            (x: ReturnType<typeof bill>) => x.shadow?.total,
          ])
            expect(
              sum(pick)
                .minus(pick(whole) ?? 0)
                .abs()
                .lte('0.0002'),
            ).toBe(true); // each part rounded to 0.0001 on its own
          expect(first.totals.consumptionWh + second.totals.consumptionWh).toBeCloseTo(whole.totals.consumptionWh, 3);
          // A part day: its share of the standing charge (1.00 a day before tax), by time.
          const dayMs = 86_400_000; // London in January: every day 24 h
          expect(
            new Decimal(whole.totals.standingCharge)
              .minus(new Decimal(to - from).dividedBy(dayMs))
              .abs()
              .lte('0.0001'),
          ).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('groups by the region’s local day, ISO week and month', () => {
    expect(periodKey(DAY + 14 * 3_600_000, 'day', 'Australia/Sydney')).toBe('2012-01-17');
    expect(periodKey(Date.UTC(2013, 11, 30, 12), 'week', 'Europe/London')).toBe('2014-W01');
    expect(periodKey(Date.UTC(2013, 11, 29, 12), 'week', 'Europe/London')).toBe('2013-W52');
    expect(periodKey(Date.UTC(2013, 11, 31, 23, 30), 'month', 'Asia/Tokyo')).toBe('2014-01');
  });

  it('groups add up to the totals, and never lose a watt-hour (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ c: fc.nat(3000), g: fc.nat(3000), p: fc.integer({ min: 1, max: 90 }) }), { minLength: 1, maxLength: 150 }),
        fc.constantFrom('hour' as const, 'day' as const, 'week' as const),
        (rows, groupBy) => {
          const lines = rows.map((r, i) => ({
            intervalStart: DAY + i * HALF,
            intervalEnd: DAY + (i + 1) * HALF,
            consumptionWh: r.c,
            generationWh: r.g,
          }));
          const bill = buildBill({
            timeZone: 'Europe/London',
            from: DAY,
            to: DAY + rows.length * HALF,
            energy: lines,
            priceAt: (t) => dynamic((rows[(t - DAY) / HALF].p / 100).toFixed(2)),
            termsOn: () => terms(),
            groupBy,
          });
          const sum = (pick: (g: (typeof bill.groups)[number]) => string) => bill.groups.reduce((s, g) => s.plus(pick(g)), new Decimal(0));
          expect(sum((g) => g.energyCharge).equals(bill.totals.energyCharge)).toBe(true);
          expect(sum((g) => g.exportCredit).equals(bill.totals.exportCredit)).toBe(true);
          if (groupBy !== 'hour') expect(sum((g) => g.total).equals(bill.totals.total)).toBe(true);
          expect(bill.groups.reduce((s, g) => s + g.consumptionWh, 0)).toBeCloseTo(
            rows.reduce((s, r) => s + r.c, 0),
            6,
          );
        },
      ),
    );
  });
});

describe('billing rates from what pricing stored', () => {
  const versions = [
    {
      regionId: 'r',
      tariff: 'flat',
      version: 1,
      effectiveFrom: null,
      pricing: { model: 'flat' as const, currency: 'GBP', price: '0.20', standingChargePerDay: '0.30', referencePrice: '0.14228' },
      createdAt: 0,
    },
    {
      regionId: 'r',
      tariff: 'flat',
      version: 2,
      effectiveFrom: DAY + 86_400_000,
      pricing: { model: 'flat' as const, currency: 'GBP', price: '0.25', fallbackPrice: '0.22', taxRate: '0.05' },
      createdAt: 0,
    },
  ];
  const firm = {
    regionId: 'r',
    tariff: 'flat',
    intervalStart: DAY,
    intervalEnd: DAY + HALF,
    validFrom: DAY,
    validTo: DAY + HALF,
    price: '0.2100',
    priceExTax: '0.2000',
    tax: '0.0100',
    currency: 'GBP',
    unit: 'kWh' as const,
    level: 1 as const,
    firm: true,
    basis: 'day-ahead' as const,
    forecastDemandWh: null,
    forecastSupplyWh: null,
    model: 'flat' as const,
    modelVersion: 1,
    feedInPrice: '0.0500',
  };

  it('bills an interval at its firm price, else the fallback of the version in force; each day under its own terms', () => {
    const rates = billingRates([firm], versions);
    expect(rates.priceAt(DAY)).toEqual({ price: '0.2100', priceExTax: '0.2000', tax: '0.0100', feedInPrice: '0.0500', basis: 'day-ahead' });
    expect(rates.priceAt(DAY + HALF)).toMatchObject({ priceExTax: '0.2000', basis: 'fallback' });
    expect(rates.priceAt(DAY + 86_400_000)).toEqual({
      price: '0.2310',
      priceExTax: '0.2200',
      tax: '0.0110',
      feedInPrice: '0',
      basis: 'fallback',
    });
    expect([rates.termsOn(DAY), rates.termsOn(DAY + 86_400_000)]).toEqual([
      { referencePrice: '0.14228', standingChargePerDay: '0.30', taxRate: '0', protectionCapPerYear: null },
      { referencePrice: null, standingChargePerDay: '0', taxRate: '0.05', protectionCapPerYear: null },
    ]);
  });
});
