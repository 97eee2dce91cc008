import { DEFAULT_PRICING_MODEL, firmPrice, type PricingModel, type Tariff } from '@wattline/domain';

const HALF = 1_800_000;

/**
 * A firm day-ahead price as pricing makes it and the tariffs table stores it (explanation and
 * all), for a half hour of a region whose forecast demand is `demandWh`: under Kitakyushu's
 * five levels unless another model is given, of its default tariff (`dynamic`) unless another is named. Tests that need stored tariffs make them here,
 * through the domain, rather than by hand.
 */
export function firmTariff(
  regionId: string,
  intervalStart: number,
  demandWh: number,
  options: { computedAt?: number; pricing?: PricingModel; timeZone?: string; tariff?: string } = {},
): Tariff {
  const inputs = {
    regionId,
    intervalStart,
    intervalEnd: intervalStart + HALF,
    timeZone: options.timeZone ?? 'Asia/Tokyo',
    forecastDemandWh: demandWh,
    forecastSupplyWh: 0,
    forecastMethod: 'same-slot-same-day-type',
    wholesalePrice: null,
    scheduledPrice: null,
    event: null,
    previousPriceExTax: null,
  };
  const priced = firmPrice(
    inputs,
    { pricing: options.pricing ?? DEFAULT_PRICING_MODEL, version: 1, tariff: options.tariff ?? 'dynamic' },
    'day-ahead',
    options.computedAt ?? intervalStart - 86_400_000,
  );
  if ('reason' in priced) throw new Error(priced.detail);
  return priced;
}

/**
 * Kitakyushu's five critical-peak levels at Low Carbon London's 2013 dToU rates: its Low and
 * Normal (3.99p, 11.76p), then steps up to its High (67.20p/kWh), before VAT (5 %, shown apart),
 * announced day-ahead at 16:00. Sized for the households a test runs by `capacityKw`.
 */
export function lclCriticalPeak(capacityKw: number) {
  return {
    model: 'critical-peak-5',
    currency: 'GBP',
    levelPrices: ['0.0399', '0.1176', '0.1499', '0.3000', '0.6720'],
    capacityKw,
    thresholds: [0.5, 0.7, 0.85, 1.0],
    taxRate: '0.05',
    cutoff: '16:00',
  };
}
