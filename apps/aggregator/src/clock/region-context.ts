import { regionNow, type PricingVersion } from '@wattline/domain';
import type { RegionPricingState } from '@wattline/persistence';

/**
 * What a pass of the clock knows of one region, loaded once at its start and handed to every
 * step: the region's state as it was before the pass closed anything (pricing then sees every
 * interval those clocks make closable already closed), its pricing versions, and its clocks.
 */
export interface RegionContext {
  regionId: string;
  timezone: string;
  state: RegionPricingState;
  /** Every version of the region's pricing, oldest first (empty: the region cannot be priced). */
  versions: PricingVersion[];
  /** The region's event time: the wall clock advanced by the region's lead (it never goes back). */
  now: number;
  /** The wall clock when the pass began. */
  wall: number;
}

export function regionContext(state: RegionPricingState, versions: PricingVersion[], wall: number): RegionContext {
  return {
    regionId: state.regionId,
    timezone: state.timezone,
    state,
    versions,
    now: regionNow(state.clockLead, wall),
    wall,
  };
}
