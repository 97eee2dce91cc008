import Decimal from 'decimal.js';

/**
 * Pricing models a region can use. Parameters are stored with the region; prices are
 * decimal strings (money is never a float).
 *
 * `critical-peak-5` is the five-level critical-peak scheme of the Kitakyushu smart-community
 * pilot: an interval's net demand (consumption minus local generation) is compared with the
 * region's supply capacity, and the utilisation picks one of five price levels.
 * `flat` charges one price whatever the load (the baseline the dynamic tariff is compared with).
 */
export type PricingModel =
  | {
      model: 'critical-peak-5';
      currency: string;
      /** Five unit prices per kWh, level 1 (plenty of supply) to level 5 (critical peak). */
      levelPrices: [string, string, string, string, string];
      /** Grid supply available to the region, kW. */
      capacityKw: number;
      /** Utilisation at which levels 2, 3, 4 and 5 start; ascending. */
      thresholds: [number, number, number, number];
    }
  | { model: 'flat'; currency: string; price: string };

export const DEFAULT_PRICING_MODEL: PricingModel = {
  model: 'critical-peak-5',
  currency: 'JPY',
  levelPrices: ['15', '50', '75', '100', '150'],
  capacityKw: 100,
  thresholds: [0.5, 0.7, 0.85, 1.0],
};

export interface IntervalPriceInput {
  regionId: string;
  intervalStart: number;
  intervalEnd: number;
  demandWh: number;
  supplyWh: number;
}

/** The contract's price payload, without `computedAt` (time is passed in, never read). */
export interface Price {
  regionId: string;
  intervalStart: number;
  intervalEnd: number;
  price: string;
  currency: string;
  unit: 'kWh';
  level: 1 | 2 | 3 | 4 | 5;
  demandWh: number;
  supplyWh: number;
  model: PricingModel['model'];
}

/** Prices one interval of one region. Pure: same inputs, same price. */
export function priceInterval(input: IntervalPriceInput, model: PricingModel): Price {
  const base = {
    regionId: input.regionId,
    intervalStart: input.intervalStart,
    intervalEnd: input.intervalEnd,
    currency: model.currency,
    unit: 'kWh' as const,
    demandWh: input.demandWh,
    supplyWh: input.supplyWh,
    model: model.model,
  };
  switch (model.model) {
    case 'flat':
      return { ...base, price: new Decimal(model.price).toFixed(4), level: 1 };
    case 'critical-peak-5': {
      const level = criticalPeakLevel(input, model);
      return { ...base, price: new Decimal(model.levelPrices[level - 1]).toFixed(4), level };
    }
  }
}

/** Level 1..5 from net demand over the capacity available in the interval. */
export function criticalPeakLevel(
  input: Pick<IntervalPriceInput, 'intervalStart' | 'intervalEnd' | 'demandWh' | 'supplyWh'>,
  model: Extract<PricingModel, { model: 'critical-peak-5' }>,
): Price['level'] {
  const hours = (input.intervalEnd - input.intervalStart) / 3_600_000;
  const capacityWh = model.capacityKw * 1000 * hours;
  const netDemandWh = Math.max(0, input.demandWh - input.supplyWh);
  const utilisation = capacityWh > 0 ? netDemandWh / capacityWh : Infinity;
  let level = 1;
  for (const threshold of model.thresholds) if (utilisation >= threshold) level += 1;
  return level as Price['level'];
}
