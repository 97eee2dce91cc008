/** Mean consumption of one side (treatment or control) in intervals at one price level. */
export interface CohortUsage {
  level: number;
  control: boolean;
  meters: number;
  meterIntervals: number;
  meanWh: number;
}

export interface LevelResponse {
  level: number;
  treatment: Omit<CohortUsage, 'level' | 'control'> | null;
  control: Omit<CohortUsage, 'level' | 'control'> | null;
  /** Treatment mean over control mean at this level. */
  ratio: number | null;
  /** How much more (+) or less (−) the treatment used at this level than at the baseline level, relative to the control group, in percent. */
  effectPct: number | null;
}

export interface TariffResponse {
  baselineLevel: number | null;
  baselineRatio: number | null;
  levels: LevelResponse[];
}

/**
 * Did the tariff move consumption? Per price level, households on the dynamic tariff against a
 * control group on the flat one, as the pilots evaluated it: the treatment/control ratio of mean
 * consumption per household and interval at each level, compared with the same ratio at the
 * baseline level (normal prices: level 3 where both groups have it, else the level with most
 * data). Comparing ratios removes what both groups share — the weather, the season, the hour —
 * and what differs between them all the time (household size). Pure.
 */
export function tariffResponse(usage: CohortUsage[]): TariffResponse {
  const levels = [...new Set(usage.map((u) => u.level))].sort((a, b) => a - b);
  const side = (level: number, control: boolean) => {
    const u = usage.find((x) => x.level === level && x.control === control);
    return u ? { meters: u.meters, meterIntervals: u.meterIntervals, meanWh: u.meanWh } : null;
  };
  const ratioAt = (level: number) => {
    const t = side(level, false);
    const c = side(level, true);
    return t && c && c.meanWh > 0 ? t.meanWh / c.meanWh : null;
  };
  const both = levels.filter((l) => ratioAt(l) !== null);
  const baselineLevel = both.includes(3)
    ? 3
    : (both.sort((a, b) => (side(b, false)?.meterIntervals ?? 0) - (side(a, false)?.meterIntervals ?? 0))[0] ?? null);
  const baselineRatio = baselineLevel === null ? null : ratioAt(baselineLevel);
  return {
    baselineLevel,
    baselineRatio,
    levels: levels.map((level) => {
      const ratio = ratioAt(level);
      return {
        level,
        treatment: side(level, false),
        control: side(level, true),
        ratio,
        effectPct: ratio === null || baselineRatio === null ? null : Math.round((ratio / baselineRatio - 1) * 10_000) / 100,
      };
    }),
  };
}
