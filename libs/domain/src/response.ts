// Long on purpose: one estimator (two-way fixed effects, cluster-robust errors, a wild cluster
// bootstrap inverted for its interval) that must stay readable as one derivation.

import { mulberry32 } from './random';

/**
 * Did the tariff move consumption? The panel an analyst would regress: one row per household and
 * interval, the household's consumption in it, whether the household is on the dynamic tariff,
 * and the interval's price level on that tariff. Arrays are indexed by observation (`household`,
 * `interval`, `wh`), by household (`treated`) and by interval (`level`), so a worker thread can be
 * sent them as they are.
 */
export interface ResponsePanel {
  /** Per observation: the household's index. */
  household: ArrayLike<number>;
  /** Per observation: the interval's index. */
  interval: ArrayLike<number>;
  /** Per observation: consumption in the interval, Wh. */
  wh: ArrayLike<number>;
  /** Per household: on the dynamic tariff (treatment) or the control tariff. */
  treated: ArrayLike<boolean>;
  /** Per interval: the price level (or band) of the dynamic tariff in it. */
  level: ArrayLike<number>;
}

export interface ResponseOptions {
  /** Bootstrap replications (999 by default: an odd number, so no p-value sits on a tie at 5 %). */
  replications?: number;
  /** The bootstrap's seed: the same data and seed give the same interval. */
  seed?: number;
  /** The level the others are compared with (default: 3, the normal price, where both sides have it). */
  baselineLevel?: number;
}

/** Mean consumption of one side at one level: what the data shows before any model. */
export interface SideUsage {
  meters: number;
  meterIntervals: number;
  meanWh: number;
}

export interface LevelEffect {
  /** β: the change in a treated household's consumption per interval at this level, against the baseline level, net of the control group's. */
  wh: number;
  /** β over the treated households' counterfactual mean at this level (their mean minus β), in percent. */
  pct: number | null;
  /** The wild cluster bootstrap's 95 % interval for β (test inversion); null on a side it does not close. */
  ci95Wh: [number | null, number | null];
  ci95Pct: [number | null, number | null];
  /** Cluster-robust (by household) standard error, CR1. */
  se: number;
  /** The bootstrap p-value of β = 0. */
  pValue: number;
}

export interface LevelResponse {
  level: number;
  treatment: SideUsage | null;
  control: SideUsage | null;
  /** Null at the baseline level, and where a side has no data. */
  effect: LevelEffect | null;
}

export interface TariffResponse {
  method: string;
  baselineLevel: number | null;
  households: { treatment: number; control: number };
  observations: number;
  bootstrap: { replications: number; weights: 'rademacher'; seed: number };
  levels: LevelResponse[];
}

export const RESPONSE_METHOD =
  'consumption per household and interval regressed on treatment × price level, with household and interval fixed effects; ' +
  'standard errors clustered by household (CR1); 95 % intervals by a wild cluster bootstrap (restricted, Rademacher weights), inverted';

/**
 * The tariff's effect, estimated as a trial's evaluation publishes it:
 *
 *   wh[i,t] = α[i] + γ[t] + Σ_L β[L] · treated[i] · (level[t] = L) + ε[i,t]
 *
 * Household fixed effects α absorb what differs between homes all the time (size, appliances);
 * interval fixed effects γ absorb everything every home shares in an interval — the weather, the
 * hour, the day, and the level's own timing (a high price falls in the evening) — so β[L] is how
 * much more or less the dynamic households used in level-L intervals than in baseline ones,
 * beyond what the control group did. Fitted by Frisch–Waugh–Lovell: y and each regressor are
 * demeaned by household and by interval in alternation until they stop changing (exact after one
 * pass for a balanced panel), then OLS. Errors are clustered by household. With few treated
 * households (LCL's 13) the usual t interval is too narrow, so the interval is the set of β₀ a
 * wild cluster restricted bootstrap does not reject at 5 % (Cameron, Gelbach & Miller 2008;
 * MacKinnon & Webb 2017; computed as Roodman et al. 2019's boottest does, from per-household
 * K×K moments, so each replication costs O(households)). Pure and deterministic for a seed.
 */
export function tariffResponse(panel: ResponsePanel, options: ResponseOptions = {}): TariffResponse {
  const replications = options.replications ?? 999;
  const seed = options.seed ?? 1;
  const n = panel.wh.length;
  const households = panel.treated.length;
  const present = new Set<number>();
  for (let o = 0; o < n; o++) present.add(panel.household[o]);
  const sides = { treatment: 0, control: 0 };
  for (const h of present) sides[panel.treated[h] ? 'treatment' : 'control'] += 1;

  const usage = sideUsage(panel);
  const levels = [...new Set([...usage.keys()].map((k) => Number(k.split('/')[0])))].sort((a, b) => a - b);
  const side = (level: number, treated: boolean) => usage.get(`${level}/${treated}`) ?? null;
  const both = levels.filter((l) => side(l, true) && side(l, false));
  const baselineLevel =
    options.baselineLevel !== undefined && both.includes(options.baselineLevel)
      ? options.baselineLevel
      : both.includes(3)
        ? 3
        : ([...both].sort((a, b) => side(b, true)!.meterIntervals - side(a, true)!.meterIntervals)[0] ?? null);
  const estimated = baselineLevel === null ? [] : both.filter((l) => l !== baselineLevel);

  const effects = new Map<number, LevelEffect>();
  if (estimated.length > 0 && sides.treatment > 0 && sides.control > 0) {
    const fit = fitFixedEffects(panel, estimated, households);
    const weights = rademacher(replications, households, seed);
    estimated.forEach((level, k) => {
      const treatedMean = side(level, true)!.meanWh;
      const beta = fit.beta[k];
      const counterfactual = treatedMean - beta;
      const pct = (x: number | null) => (x === null || counterfactual <= 0 ? null : round((100 * x) / counterfactual, 2));
      const p = (beta0: number) => bootstrapP(fit, k, beta0, weights);
      const [lo, hi] = invert(p, beta, fit.se[k]);
      effects.set(level, {
        wh: round(beta, 3),
        pct: pct(beta),
        ci95Wh: [lo === null ? null : round(lo, 3), hi === null ? null : round(hi, 3)],
        ci95Pct: [pct(lo), pct(hi)],
        se: round(fit.se[k], 3),
        pValue: round(p(0), 4),
      });
    });
  }
  return {
    method: RESPONSE_METHOD,
    baselineLevel,
    households: sides,
    observations: n,
    bootstrap: { replications, weights: 'rademacher', seed },
    levels: levels.map((level) => ({
      level,
      treatment: side(level, true),
      control: side(level, false),
      effect: effects.get(level) ?? null,
    })),
  };
}

function sideUsage(panel: ResponsePanel): Map<string, SideUsage> {
  const acc = new Map<string, { meters: Set<number>; n: number; sum: number }>();
  for (let o = 0; o < panel.wh.length; o++) {
    const h = panel.household[o];
    const key = `${panel.level[panel.interval[o]]}/${panel.treated[h]}`;
    const a = acc.get(key) ?? { meters: new Set<number>(), n: 0, sum: 0 };
    a.meters.add(h);
    a.n += 1;
    a.sum += panel.wh[o];
    acc.set(key, a);
  }
  return new Map([...acc].map(([k, a]) => [k, { meters: a.meters.size, meterIntervals: a.n, meanWh: round(a.sum / a.n, 3) }]));
}

/** What the bootstrap needs of the fit: per household its K×K moment X̃ᵍ'X̃ᵍ and K-vector X̃ᵍ'ỹᵍ, and the totals. */
interface Fit {
  k: number;
  beta: number[];
  se: number[];
  /** Σ_g A_g = X̃'X̃ and its inverse. */
  xx: number[][];
  xxInv: number[][];
  /** Per household with data: A_g and C_g. */
  a: number[][][];
  c: number[][];
  /** Σ_g C_g = X̃'ỹ. */
  xy: number[];
  /** CR1: G/(G−1) · (N−1)/(N−K). */
  scale: number;
}

function fitFixedEffects(panel: ResponsePanel, estimated: number[], households: number): Fit {
  const n = panel.wh.length;
  const k = estimated.length;
  const column = new Map(estimated.map((level, j) => [level, j]));
  // Columns: y, then one regressor per estimated level (treated × level = L).
  const cols: Float64Array[] = [Float64Array.from(panel.wh)];
  for (let j = 0; j < k; j++) cols.push(new Float64Array(n));
  for (let o = 0; o < n; o++) {
    const j = column.get(panel.level[panel.interval[o]]);
    if (j !== undefined && panel.treated[panel.household[o]]) cols[j + 1][o] = 1;
  }
  const intervals = panel.level.length;
  for (const col of cols) demeanTwoWay(col, panel.household, panel.interval, households, intervals);

  const groups = new Map<number, { a: number[][]; c: number[] }>();
  for (let o = 0; o < n; o++) {
    const h = panel.household[o];
    let g = groups.get(h);
    if (!g) groups.set(h, (g = { a: zeros(k, k), c: new Array<number>(k).fill(0) }));
    for (let p = 0; p < k; p++) {
      const xp = cols[p + 1][o];
      if (xp === 0) continue;
      g.c[p] += xp * cols[0][o];
      for (let q = 0; q < k; q++) g.a[p][q] += xp * cols[q + 1][o];
    }
  }
  const a = [...groups.values()].map((g) => g.a);
  const c = [...groups.values()].map((g) => g.c);
  const xx = zeros(k, k);
  const xy = new Array<number>(k).fill(0);
  a.forEach((ag, g) => {
    for (let p = 0; p < k; p++) {
      xy[p] += c[g][p];
      for (let q = 0; q < k; q++) xx[p][q] += ag[p][q];
    }
  });
  const xxInv = inverse(xx);
  const beta = mul(xxInv, xy);
  const G = a.length;
  const scale = G > 1 && n > k ? (G / (G - 1)) * ((n - 1) / (n - k)) : 1;
  const v = sandwich(xxInv, a, c, beta, scale);
  return { k, beta, se: v.map((row, p) => Math.sqrt(Math.max(0, row[p]))), xx, xxInv, a, c, xy, scale };
}

/**
 * Removes both fixed effects from a column exactly: the household effects α solve
 * (D_H' M_T D_H) α = D_H' M_T x — M_T demeaning by interval — by conjugate gradients (each
 * product one pass over the data; the system is singular only along the constant, to which the
 * right-hand side is orthogonal), then the interval effects are the interval means of x − α.
 * What is left is orthogonal to every household and every interval (Frisch–Waugh–Lovell); for a
 * balanced panel it is x − x̄ᵢ − x̄ₜ + x̄, found in one step. Faster than alternating projections,
 * which crawl on an unbalanced panel.
 */
function demeanTwoWay(col: Float64Array, household: ArrayLike<number>, interval: ArrayLike<number>, nh: number, nt: number): void {
  const n = col.length;
  const countT = new Float64Array(nt);
  for (let o = 0; o < n; o++) countT[interval[o]] += 1;
  const sumT = new Float64Array(nt);
  const intervalMeans = (x: (o: number) => number) => {
    sumT.fill(0);
    for (let o = 0; o < n; o++) sumT[interval[o]] += x(o);
    for (let t = 0; t < nt; t++) if (countT[t] > 0) sumT[t] /= countT[t];
    return sumT;
  };
  /** D_H' M_T applied to a vector over observations, into `out` (per household). */
  const project = (x: (o: number) => number, out: Float64Array) => {
    const m = intervalMeans(x);
    out.fill(0);
    for (let o = 0; o < n; o++) out[household[o]] += x(o) - m[interval[o]];
  };
  const rhs = new Float64Array(nh);
  project((o) => col[o], rhs);
  const alpha = new Float64Array(nh);
  const residual = Float64Array.from(rhs);
  const direction = Float64Array.from(rhs);
  const product = new Float64Array(nh);
  const norm = (v: Float64Array) => v.reduce((s, x) => s + x * x, 0);
  let rr = norm(residual);
  const tolerance = 1e-24 * Math.max(1, rr);
  for (let iteration = 0; iteration < 10 * nh + 10 && rr > tolerance; iteration++) {
    project((o) => direction[household[o]], product);
    const dAd = direction.reduce((s, d, h) => s + d * product[h], 0);
    if (dAd <= 0) break;
    const step = rr / dAd;
    for (let h = 0; h < nh; h++) {
      alpha[h] += step * direction[h];
      residual[h] -= step * product[h];
    }
    const next = norm(residual);
    for (let h = 0; h < nh; h++) direction[h] = residual[h] + (next / rr) * direction[h];
    rr = next;
  }
  const gamma = intervalMeans((o) => col[o] - alpha[household[o]]);
  for (let o = 0; o < n; o++) col[o] -= alpha[household[o]] + gamma[interval[o]];
}

/** c · (X̃'X̃)⁻¹ (Σ_g s_g s_g') (X̃'X̃)⁻¹ with household scores s_g = C_g − A_g β. */
function sandwich(xxInv: number[][], a: number[][][], c: number[][], beta: number[], scale: number): number[][] {
  const k = beta.length;
  const meat = zeros(k, k);
  a.forEach((ag, g) => {
    const s = c[g].map((cp, p) => cp - ag[p].reduce((sum, apq, q) => sum + apq * beta[q], 0));
    for (let p = 0; p < k; p++) for (let q = 0; q < k; q++) meat[p][q] += s[p] * s[q];
  });
  const left = matmul(xxInv, meat);
  return matmul(left, xxInv).map((row) => row.map((x) => x * scale));
}

/**
 * The wild cluster restricted bootstrap's p-value of β[j] = β₀: the model refitted with β[j]
 * held at β₀ gives restricted coefficients βʳ and residuals; each replication flips each
 * household's residuals by a Rademacher weight v_g, refits, and compares its t with the data's.
 * All from the per-household moments: the restricted fit has X̃ᵍ'ŷʳᵍ = A_g βʳ and residual
 * score r_g = C_g − A_g βʳ, so a replication's X̃'ỹ* = Σ_g (A_g βʳ + v_g r_g), β* = (X̃'X̃)⁻¹ X̃'ỹ*,
 * and with w the j-th row of (X̃'X̃)⁻¹ its variance is c Σ_g (w·(A_g βʳ + v_g r_g − A_g β*))².
 * Each replication is O(households × K), with nothing allocated.
 */
function bootstrapP(fit: Fit, j: number, beta0: number, weights: Int8Array[]): number {
  const { k, a, c, xxInv, xx, xy, scale } = fit;
  const restricted = restrictedBeta(xx, xy, j, beta0);
  const G = a.length;
  const w = xxInv[j];
  const fitted = a.map((ag) => mul(ag, restricted));
  const score = c.map((cg, g) => cg.map((x, p) => x - fitted[g][p]));
  const total = new Array<number>(k).fill(0);
  for (const f of fitted) for (let p = 0; p < k; p++) total[p] += f[p];
  const wFitted = fitted.map((f) => dot(w, f));
  const wScore = score.map((r) => dot(w, r));
  const aw = a.map((ag) => mul(ag, w));
  const t = fit.se[j] > 0 ? Math.abs((fit.beta[j] - beta0) / fit.se[j]) : Infinity;
  const xyStar = new Array<number>(k);
  const bStar = new Array<number>(k);
  let extreme = 0;
  for (const v of weights) {
    for (let p = 0; p < k; p++) xyStar[p] = total[p];
    for (let g = 0; g < G; g++) if (v[g] !== 0) for (let p = 0; p < k; p++) xyStar[p] += v[g] * score[g][p];
    for (let p = 0; p < k; p++) bStar[p] = dot(xxInv[p], xyStar);
    let meat = 0;
    for (let g = 0; g < G; g++) {
      const sg = wFitted[g] + v[g] * wScore[g] - dot(aw[g], bStar);
      meat += sg * sg;
    }
    const se = Math.sqrt(Math.max(0, scale * meat));
    const tStar = se > 0 ? Math.abs((bStar[j] - beta0) / se) : 0;
    if (tStar >= t) extreme += 1;
  }
  return extreme / weights.length;
}

function dot(x: number[], y: number[]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

/** β with β[j] held at β₀: the other coefficients from (X̃'X̃)₋ⱼ₋ⱼ β₋ⱼ = (X̃'ỹ)₋ⱼ − (X̃'X̃)₋ⱼⱼ β₀. */
function restrictedBeta(xx: number[][], xy: number[], j: number, beta0: number): number[] {
  const others = xy.map((_, p) => p).filter((p) => p !== j);
  const beta = new Array<number>(xy.length).fill(0);
  beta[j] = beta0;
  if (others.length > 0) {
    const m = others.map((p) => others.map((q) => xx[p][q]));
    const r = others.map((p) => xy[p] - xx[p][j] * beta0);
    mul(inverse(m), r).forEach((b, i) => (beta[others[i]] = b));
  }
  return beta;
}

/** The 95 % interval {β₀ : p(β₀) > 0.05}: each bound bracketed outward from β̂ by doubling steps of the standard error, then bisected. */
function invert(p: (beta0: number) => number, beta: number, se: number): [number | null, number | null] {
  const alpha = 0.05;
  const step = se > 0 ? se : Math.max(1e-6, Math.abs(beta) * 1e-3);
  const bound = (direction: -1 | 1): number | null => {
    let inside = beta;
    let outside: number | null = null;
    for (let m = 1; m <= 1024; m *= 2) {
      const candidate = beta + direction * m * step;
      if (p(candidate) <= alpha) {
        outside = candidate;
        break;
      }
      inside = candidate;
    }
    if (outside === null) return null;
    let out: number = outside;
    for (let i = 0; i < 40 && Math.abs(out - inside) > step * 1e-4; i++) {
      const mid: number = (inside + out) / 2;
      if (p(mid) <= alpha) out = mid;
      else inside = mid;
    }
    return (inside + out) / 2;
  };
  return [bound(-1), bound(1)];
}

/** Rademacher weights (±1), one per household and replication, from a seeded mulberry32 stream. */
function rademacher(replications: number, households: number, seed: number): Int8Array[] {
  const next = mulberry32(seed);
  return Array.from({ length: replications }, () => Int8Array.from({ length: households }, () => (next() < 0.5 ? -1 : 1)));
}

const zeros = (r: number, c: number) => Array.from({ length: r }, () => new Array<number>(c).fill(0));
const round = (x: number, places: number) => Math.round(x * 10 ** places) / 10 ** places;
const mul = (m: number[][], v: number[]) => m.map((row) => row.reduce((s, x, q) => s + x * v[q], 0));
const matmul = (x: number[][], y: number[][]) => x.map((row) => y[0].map((_, q) => row.reduce((s, v, r) => s + v * y[r][q], 0)));

/** A small symmetric positive-definite inverse by Gauss–Jordan with partial pivoting (K is the number of levels: ≤ 4). */
function inverse(m: number[][]): number[][] {
  const k = m.length;
  const a = m.map((row, i) => [...row, ...row.map((_, j) => (i === j ? 1 : 0))]);
  for (let col = 0; col < k; col++) {
    let pivot = col;
    for (let r = col + 1; r < k; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    const d = a[col][col];
    if (d === 0) throw new Error('the regressors are collinear: a level has no treated or no control observations');
    for (let j = 0; j < 2 * k; j++) a[col][j] /= d;
    for (let r = 0; r < k; r++) {
      if (r === col) continue;
      const f = a[r][col];
      for (let j = 0; j < 2 * k; j++) a[r][j] -= f * a[col][j];
    }
  }
  return a.map((row) => row.slice(k));
}
