import { Injectable, Logger } from '@nestjs/common';
import { MeterMovesRepository } from '@wattline/persistence';

/**
 * Step 1b: a household's move to another region, and a meter's change of cohort, become the
 * values in force once their interval starts in the region's time (`meters.region_id`,
 * `meters.cohort`: what listings, scoped keys and the ACL read). What counted where before is
 * decided from the change tables, not from this step: a reading's region by the broker from the
 * plan it cached, a past interval's cohort by the response analysis. A moved device's
 * credentials go to the control log in the same statement, so every broker reads them again
 * (its price topics are the new region's) within a second.
 */
@Injectable()
export class ApplyFleetChangesStep {
  private readonly logger = new Logger(ApplyFleetChangesStep.name);

  constructor(private readonly moves: MeterMovesRepository) {}

  async run(wall: number): Promise<void> {
    const { moved, recohorted } = await this.moves.applyDue(wall);
    if (moved.length > 0) this.logger.log(`${moved.length} device(s) now in their new region: ${moved.slice(0, 5).join(', ')}`);
    if (recohorted.length > 0) this.logger.log(`${recohorted.length} meter(s) now in their new cohort`);
  }
}
