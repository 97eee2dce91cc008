import Decimal from 'decimal.js';
import type { MeterIntervalEnergy } from './billing';
import { priceSequence, money, type Money, type PricingModel } from './pricing';
import type { Tariff } from './prices';

export interface SimulatedInterval {
  intervalStart: number;
  published: { price: Money; level: number };
  simulated: { price: Money; level: number } | null;
}

export interface SimulatedHousehold {
  meterId: string;
  consumptionWh: number;
  generationWh: number;
  publishedCost: Money;
  simulatedCost: Money;
  change: Money;
  changePct: number | null;
}

export interface Simulation {
  intervals: SimulatedInterval[];
  households: SimulatedHousehold[];
  /** Published intervals without stored inputs (priced before explanations were kept): left out. */
  skipped: number;
}

/**
 * What-if, pure: re-prices published intervals from the inputs they were priced with (forecast,
 * wholesale or scheduled price, events) under other parameters, in order (the ramp runs on the
 * simulated prices), and each household's energy cost in those intervals at both — export
 * credited at each side's feed-in price. Nothing published is touched.
 */
export function simulate(published: Tariff[], pricing: PricingModel, energy: Map<string, MeterIntervalEnergy[]>): Simulation {
  const explained = published.filter((t) => t.explanation).sort((a, b) => a.intervalStart - b.intervalStart);
  const repriced = priceSequence(
    explained.map((t) => ({ ...t.explanation!.inputs })),
    () => pricing,
    null,
  );
  const simulatedByStart = new Map<number, { price: Money; level: number; feedIn: Money }>();
  const intervals = explained.map((t, i) => {
    const r = repriced[i];
    const simulated = r.ok ? { price: r.price, level: r.level } : null;
    if (r.ok) simulatedByStart.set(t.intervalStart, { price: r.price, level: r.level, feedIn: r.feedInPrice });
    return { intervalStart: t.intervalStart, published: { price: t.price, level: t.level }, simulated };
  });
  const publishedByStart = new Map(explained.map((t) => [t.intervalStart, t]));
  const households = [...energy].map(([meterId, lines]) => {
    let before = new Decimal(0);
    let after = new Decimal(0);
    let consumptionWh = 0;
    let generationWh = 0;
    for (const l of lines) {
      const p = publishedByStart.get(l.intervalStart);
      const s = simulatedByStart.get(l.intervalStart);
      if (!p || !s) continue;
      const kwhIn = new Decimal(l.consumptionWh).dividedBy(1000);
      const kwhOut = new Decimal(l.generationWh).dividedBy(1000);
      before = before.plus(kwhIn.times(p.price)).minus(kwhOut.times(p.feedInPrice));
      after = after.plus(kwhIn.times(s.price)).minus(kwhOut.times(s.feedIn));
      consumptionWh += l.consumptionWh;
      generationWh += l.generationWh;
    }
    return {
      meterId,
      consumptionWh: Math.round(consumptionWh * 1000) / 1000,
      generationWh: Math.round(generationWh * 1000) / 1000,
      publishedCost: money(before),
      simulatedCost: money(after),
      change: money(after.minus(before)),
      changePct: before.isZero() ? null : after.minus(before).dividedBy(before).times(100).toDecimalPlaces(2).toNumber(),
    };
  });
  return { intervals, households, skipped: published.length - explained.length };
}
