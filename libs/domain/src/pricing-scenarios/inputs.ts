import type { PriceInputs } from '../pricing';

/** Inputs for one half hour of a region, with nothing but what a scenario sets. */
export function halfHour(start: number, overrides: Partial<PriceInputs> = {}): PriceInputs {
  return {
    regionId: 'r',
    intervalStart: start,
    intervalEnd: start + 1_800_000,
    timeZone: 'UTC',
    forecastDemandWh: null,
    forecastSupplyWh: null,
    forecastMethod: null,
    wholesalePrice: null,
    scheduledPrice: null,
    event: null,
    previousPriceExTax: null,
    ...overrides,
  };
}
