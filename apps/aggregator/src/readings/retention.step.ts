import { Inject, Injectable, Logger } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import { ReadingsRepository } from '@wattline/persistence';
import { CONFIG } from '@wattline/platform';
import type { RegionContext } from '../clock/region-context';

/** Looked at again when the horizon moves on (a region's clock entered a new month), else every 10 minutes. */
const RECHECK_MS = 10 * 60_000;

/**
 * Step 8: raw readings are kept READINGS_RETENTION_MONTHS, counted back from the month of the
 * oldest region clock (so a replay of 2013 keeps 2013's readings whatever today's date): each
 * older monthly partition is dropped once no interval before its end is open — its sums, and
 * the bills and prices made from them, are final and kept. Oldest first; a month with an open
 * interval stops the pass (later months wait behind it).
 */
@Injectable()
export class RetentionStep {
  private readonly logger = new Logger(RetentionStep.name);
  private lastHorizon = -Infinity;
  private checkedAt = -Infinity;

  constructor(
    private readonly readings: ReadingsRepository,
    @Inject(CONFIG) private readonly config: WattlineConfig,
  ) {}

  async run(regions: Map<string, RegionContext[]>, wall: number): Promise<number> {
    const months = this.config.READINGS_RETENTION_MONTHS;
    if (months === undefined) return 0;
    const clocks = [...regions.values()]
      .flat()
      .filter((c) => c.state.watermark !== null)
      .map((c) => c.now);
    if (clocks.length === 0) return 0;
    const oldest = new Date(Math.min(...clocks));
    const horizon = Date.UTC(oldest.getUTCFullYear(), oldest.getUTCMonth() - months, 1);
    if (horizon <= this.lastHorizon && wall - this.checkedAt < RECHECK_MS) return 0;
    this.lastHorizon = horizon;
    this.checkedAt = wall;
    let dropped = 0;
    for (const month of await this.readings.monthsEndingBy(horizon)) {
      if (await this.readings.openIntervalsBefore(month.to)) {
        this.logger.log(`raw readings of ${month.name} kept for now: an interval before its end is still open`);
        break;
      }
      await this.readings.dropMonth(month);
      dropped += 1;
      this.logger.log(
        `raw readings of ${month.name} dropped (READINGS_RETENTION_MONTHS=${months}); its interval sums, bills and prices are kept`,
      );
    }
    return dropped;
  }
}
