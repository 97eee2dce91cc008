import { mulberry32 } from './random';
import { tariffResponse, type ResponsePanel } from './response';

/** A panel from rows of [household, interval, Wh]. */
function panelOf(rows: [number, number, number][], treated: boolean[], level: number[]): ResponsePanel {
  return {
    household: rows.map((r) => r[0]),
    interval: rows.map((r) => r[1]),
    wh: rows.map((r) => r[2]),
    treated,
    level,
  };
}

/** A seeded stream of uniforms (mulberry32) and normals (Box–Muller). */
function random(seed: number) {
  // Its own stream (seed + 1 000 003), apart from the bootstrap's weights drawn from the same generator.
  const uniform = mulberry32(seed + 1_000_003);
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

/**
 * A trial simulated with a known effect: 40 households (10 on the dynamic tariff), two weeks of
 * half hours; level 5 on weekday evenings 17:00–20:00 every other day, level 1 overnight every
 * third day, else 3. Homes differ in size and in their own daily shape; every interval has a
 * common shock (the weather) and the evening peak; the treated cut `peakWh` at level 5 and add
 * `lowWh` at level 1.
 */
function simulatedTrial(seed: number, effect: { peakWh: number; lowWh: number }, keep = 1) {
  const r = random(seed);
  const households = 40;
  const days = 14;
  const level: number[] = [];
  const common: number[] = [];
  for (let d = 0; d < days; d++) {
    const weather = 40 * Math.sin(d / 2) + 20 * r.normal();
    for (let s = 0; s < 48; s++) {
      level.push(s >= 34 && s < 40 && d % 2 === 0 ? 5 : s < 12 && d % 3 === 0 ? 1 : 3);
      common.push(weather + (s >= 32 && s < 42 ? 150 : s < 12 ? -60 : 0));
    }
  }
  const treated = Array.from({ length: households }, (_, h) => h < 10);
  const rows: [number, number, number][] = [];
  for (let h = 0; h < households; h++) {
    const size = 150 + 200 * r.uniform();
    const shape = Array.from({ length: 48 }, () => 25 * r.normal());
    for (let t = 0; t < level.length; t++) {
      if (r.uniform() >= keep) continue;
      const own = treated[h] ? (level[t] === 5 ? effect.peakWh : level[t] === 1 ? effect.lowWh : 0) : 0;
      rows.push([h, t, size + common[t] + shape[t % 48] + own + 40 * r.normal()]);
    }
  }
  return panelOf(rows, treated, level);
}

describe('the tariff’s effect: two-way fixed effects, clustered by household, with a wild cluster bootstrap interval', () => {
  it('solves a two-period trial of four homes as by hand: β = the treated homes’ change minus the control homes’, CR1 error √(2/3)', () => {
    // A and B on the dynamic tariff, C and D on the flat one; interval 0 at level 3, interval 1 at level 5.
    // Changes: A +8, B +10, C +2, D +2 → β = 9 − 2 = 7. Demeaned x̃ = ±¼, X̃'X̃ = ½; scores of A and B ∓¼, of C and D 0:
    // meat ⅛, V = ⅛ / ¼ × G/(G−1) × (N−1)/(N−K) = ½ × 4/3 × 7/7 = ⅔.
    const r = tariffResponse(
      panelOf(
        [
          [0, 0, 10],
          [0, 1, 18],
          [1, 0, 12],
          [1, 1, 22],
          [2, 0, 9],
          [2, 1, 11],
          [3, 0, 11],
          [3, 1, 13],
        ],
        [true, true, false, false],
        [3, 5],
      ),
      { replications: 99 },
    );
    expect(r).toMatchObject({ baselineLevel: 3, households: { treatment: 2, control: 2 }, observations: 8 });
    const peak = r.levels.find((l) => l.level === 5)!;
    expect(peak.treatment).toEqual({ meters: 2, meterIntervals: 2, meanWh: 20 });
    expect(peak.control).toEqual({ meters: 2, meterIntervals: 2, meanWh: 12 });
    expect(peak.effect!.wh).toBeCloseTo(7, 9);
    expect(peak.effect!.se).toBeCloseTo(Math.sqrt(2 / 3), 3);
    // Against the treated homes' counterfactual 20 − 7 = 13 Wh.
    expect(peak.effect!.pct).toBeCloseTo((100 * 7) / 13, 2);
    expect(r.levels.find((l) => l.level === 3)!.effect).toBeNull();
  });

  it('recovers a known effect of a simulated trial inside its 95 % interval, and finds none where there is none', () => {
    const r = tariffResponse(simulatedTrial(7, { peakWh: -30, lowWh: 0 }));
    const peak = r.levels.find((l) => l.level === 5)!.effect!;
    const low = r.levels.find((l) => l.level === 1)!.effect!;
    expect(r.households).toEqual({ treatment: 10, control: 30 });
    expect(peak.ci95Wh[0]!).toBeLessThan(-30);
    expect(peak.ci95Wh[1]!).toBeGreaterThan(-30);
    expect(peak.ci95Wh[1]!).toBeLessThan(0); // the cut is found: the interval excludes no effect
    expect(peak.pValue).toBeLessThan(0.05);
    expect(Math.abs(peak.wh + 30)).toBeLessThan(3 * peak.se);
    expect(low.ci95Wh[0]!).toBeLessThan(0);
    expect(low.ci95Wh[1]!).toBeGreaterThan(0);
  });

  it('covers the true effect in about 95 % of simulated trials, balanced or with readings missing', () => {
    let covered = 0;
    const trials = 20;
    for (let seed = 100; seed < 100 + trials; seed++) {
      const r = tariffResponse(simulatedTrial(seed, { peakWh: -20, lowWh: 15 }, seed % 2 ? 0.85 : 1), { replications: 199, seed });
      const peak = r.levels.find((l) => l.level === 5)!.effect!;
      const low = r.levels.find((l) => l.level === 1)!.effect!;
      if (peak.ci95Wh[0]! < -20 && -20 < peak.ci95Wh[1]!) covered += 1;
      if (low.ci95Wh[0]! < 15 && 15 < low.ci95Wh[1]!) covered += 1;
    }
    // 40 intervals at 95 %: fewer than 34 covered would happen by chance about once in 1,000.
    expect(covered).toBeGreaterThanOrEqual(34);
  });

  it('is the same for the same data and seed, and names its method', () => {
    const panel = simulatedTrial(3, { peakWh: -10, lowWh: 0 });
    const a = tariffResponse(panel, { replications: 199, seed: 5 });
    expect(tariffResponse(panel, { replications: 199, seed: 5 })).toEqual(a);
    expect(a.bootstrap).toEqual({ replications: 199, weights: 'rademacher', seed: 5 });
    expect(a.method).toMatch(/household and interval fixed effects/);
  });

  it('has no estimate without a control group, and none at a level only one side has', () => {
    const onlyTreated = tariffResponse(panelOf([[0, 0, 1]], [true], [3]));
    expect(onlyTreated).toMatchObject({
      baselineLevel: null,
      households: { treatment: 1, control: 0 },
      levels: [{ level: 3, effect: null }],
    });
    const r = tariffResponse(
      panelOf(
        [
          [0, 0, 10],
          [1, 0, 9],
          [0, 1, 12],
          [1, 1, 8],
          [0, 2, 5],
        ],
        [true, false],
        [3, 5, 1],
      ),
      { replications: 19 },
    );
    expect(r.levels.find((l) => l.level === 1)).toMatchObject({ control: null, effect: null });
    expect(r.levels.find((l) => l.level === 5)!.effect!.wh).toBeCloseTo(2 - -1, 9);
  });
});
