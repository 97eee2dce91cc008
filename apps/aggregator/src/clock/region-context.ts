import { regionNow, type PricingVersion, type TariffRef } from '@wattline/domain';
import type { RegionPricingState } from '@wattline/persistence';

/**
 * What a pass of the clock knows of one tariff of one region, loaded once at its start and
 * handed to every step: the region's state as it was before the pass closed anything (pricing
 * then sees every interval those clocks make closable already closed), the tariff's pricing
 * versions and where its schedule has got to, and the region's clocks. A region offering two
 * tariffs has two contexts; the steps price each on its own.
 */
export interface RegionContext {
  regionId: string;
  /** The tariff priced, and (null: the region's default) the one its announcements are on. */
  tariff: string;
  topicTariff: string | undefined;
  ref: TariffRef;
  timezone: string;
  state: RegionPricingState;
  /** Every version of the tariff's pricing, oldest first (empty: it cannot be priced). */
  versions: PricingVersion[];
  /** The region's event time: the wall clock advanced by the region's lead (it never goes back). */
  now: number;
  /** The wall clock when the pass began. */
  wall: number;
}

export function regionContext(state: RegionPricingState, versions: PricingVersion[], wall: number): RegionContext {
  return {
    regionId: state.regionId,
    tariff: state.tariff,
    topicTariff: state.tariff === state.defaultTariff ? undefined : state.tariff,
    ref: { regionId: state.regionId, tariff: state.tariff },
    timezone: state.timezone,
    state,
    versions,
    now: regionNow(state.clockLead, wall),
    wall,
  };
}
