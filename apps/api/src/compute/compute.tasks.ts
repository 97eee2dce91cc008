import {
  buildBill,
  householdRates,
  tariffRatesOf,
  simulate,
  tariffResponse,
  type Bill,
  type BillGroupBy,
  type MeterIntervalEnergy,
  type Price,
  type PricingModel,
  type PricingVersion,
  type ResponseOptions,
  type ResponsePanel,
  type TariffResponse,
  type Simulation,
  type Tariff,
  type TariffPeriod,
} from '@wattline/domain';

/**
 * The API's CPU-heavy work, as plain functions of plain data (what a worker thread can be
 * sent: no closures, no class instances). Each runs the domain's own function; the pool only
 * decides on which thread.
 */
export interface BillsTask {
  timeZone: string;
  from: number;
  to: number;
  groupBy: BillGroupBy;
  /** Each tariff's firm prices from the start of the local year of `from` to the end of `to`'s local day (`billReadEnd`), by tariff. */
  prices: Map<string, Price[]>;
  versions: Map<string, PricingVersion[]>;
  /** Each household's energy per interval over the same span (a part day's refund is decided on the whole day). */
  energies: MeterIntervalEnergy[][];
  /** Each household's tariff plan (the same order as `energies`). */
  plans: TariffPeriod[][];
  /** Where each household's bill ends when before `to` (an account that ended at a revocation, or at a move). */
  ends?: number[];
  /** Where each household's bill starts when after `from` (an account that began at a move into the region). */
  starts?: number[];
}

export interface SimulationTask {
  published: Tariff[];
  pricing: PricingModel;
  energy: Map<string, MeterIntervalEnergy[]>;
}

export function bills(task: BillsTask): Bill[] {
  const ratesOf = tariffRatesOf(task.prices, task.versions);
  const { timeZone, from, to, groupBy } = task;
  return task.energies.map((energy, i) =>
    buildBill({
      timeZone,
      from: task.starts?.[i] ?? from,
      to: task.ends?.[i] ?? to,
      energy,
      groupBy,
      ...householdRates(task.plans[i], ratesOf),
    }),
  );
}

export function simulation(task: SimulationTask): Simulation {
  return simulate(task.published, task.pricing, task.energy);
}

export interface ResponseTask {
  panel: ResponsePanel;
  options: ResponseOptions;
}

export function response(task: ResponseTask): TariffResponse {
  return tariffResponse(task.panel, task.options);
}

export const COMPUTE_TASKS = { bills, simulation, response } as const;
export type ComputeTaskName = keyof typeof COMPUTE_TASKS;
