import { Inject, Injectable } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import { isClosableByWatermark, isClosableWhenIdle } from '@wattline/domain';
import { IntervalsRepository } from '@wattline/persistence';
import { CONFIG } from '@wattline/platform';

/**
 * Step 1 of a pass: closes the intervals whose time has come, recording the sums they have
 * at that moment (what they are priced and billed from). An interval closes when its region's
 * watermark (latest reading time) passes its end plus the allowed lateness, or, when the region
 * has gone quiet, when the wall clock does. Exactly once whoever runs it (a guarded UPDATE,
 * serialised with the stores of the region).
 */
@Injectable()
export class CloseIntervalsStep {
  constructor(
    private readonly intervals: IntervalsRepository,
    @Inject(CONFIG) private readonly config: WattlineConfig,
  ) {}

  /** How many intervals this pass closed, and per region the end of the latest one. */
  async run(wall: number): Promise<{ closed: number; closedUpTo: Map<string, number> }> {
    const latenessMs = this.config.ALLOWED_LATENESS_SECONDS * 1000;
    const idleMs = this.config.IDLE_CLOSE_SECONDS * 1000;
    const due = (await this.intervals.openIntervals()).filter(
      (i) =>
        isClosableByWatermark(i.intervalEnd, i.watermark, latenessMs) ||
        isClosableWhenIdle(i.intervalEnd, latenessMs, i.lastArrivalAt, wall, idleMs),
    );
    const closedUpTo = new Map<string, number>();
    let closed = 0;
    for (const interval of due) {
      if (!(await this.intervals.closeInterval(interval.regionId, interval.intervalStart, wall))) continue;
      closed += 1;
      closedUpTo.set(interval.regionId, Math.max(closedUpTo.get(interval.regionId) ?? 0, interval.intervalEnd));
    }
    return { closed, closedUpTo };
  }
}
