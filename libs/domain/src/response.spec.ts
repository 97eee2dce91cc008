import { tariffResponse } from './response';

describe('did the tariff work?', () => {
  it('measures each level against the normal level, relative to the control group', () => {
    // Treatment households are bigger (×1.2 at normal prices) and cut 10 % at peak prices relative to that.
    const r = tariffResponse([
      { level: 3, control: false, meters: 13, meterIntervals: 1000, meanWh: 240 },
      { level: 3, control: true, meters: 66, meterIntervals: 5000, meanWh: 200 },
      { level: 5, control: false, meters: 13, meterIntervals: 100, meanWh: 324 },
      { level: 5, control: true, meters: 66, meterIntervals: 500, meanWh: 300 },
      { level: 1, control: false, meters: 13, meterIntervals: 100, meanWh: 120 },
    ]);
    expect(r).toMatchObject({ baselineLevel: 3, baselineRatio: 1.2 });
    expect(r.levels.find((l) => l.level === 5)).toMatchObject({ ratio: 1.08, effectPct: -10 });
    expect(r.levels.find((l) => l.level === 1)).toMatchObject({ control: null, ratio: null, effectPct: null });
  });

  it('has no answer without a control group', () => {
    expect(tariffResponse([{ level: 3, control: false, meters: 1, meterIntervals: 1, meanWh: 1 }])).toMatchObject({
      baselineLevel: null,
      levels: [{ effectPct: null }],
    });
  });
});
