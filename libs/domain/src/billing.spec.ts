import { billInterval, buildBill } from './billing';

describe('billing', () => {
  it('computes cost in decimal, not binary floating point', () => {
    // 0.1 kWh at 0.3/kWh: binary floats give 0.030000000000000002
    expect(billInterval(100, '0.3')).toBe('0.0300');
    expect(billInterval(275, '67.20')).toBe('18.4800');
  });

  it('totals priced intervals and reports unpriced energy separately', () => {
    const bill = buildBill(
      [
        { intervalStart: 0, intervalEnd: 1, consumptionWh: 275, generationWh: 0 },
        { intervalStart: 1, intervalEnd: 2, consumptionWh: 210, generationWh: 5 },
        { intervalStart: 2, intervalEnd: 3, consumptionWh: 254, generationWh: 0 },
      ],
      new Map([
        [0, '3.99'],
        [1, '67.20'],
      ]),
    );
    expect(bill.lines.map((l) => l.cost)).toEqual(['1.0973', '14.1120', null]);
    expect(bill).toMatchObject({ cost: '15.2093', consumptionWh: 739, generationWh: 5, unpricedWh: 254 });
  });
});
