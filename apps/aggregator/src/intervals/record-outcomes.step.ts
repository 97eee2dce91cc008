import { Injectable } from '@nestjs/common';
import { expostOutcome, versionInForce, type PricingVersion } from '@wattline/domain';
import { IntervalsRepository } from '@wattline/persistence';

/**
 * Step 2: ex post, each closed interval's measured utilisation and the level it would have had
 * under the pricing in force (what the explanation compares the forecast against).
 */
@Injectable()
export class RecordOutcomesStep {
  constructor(private readonly intervals: IntervalsRepository) {}

  async run(versionsOf: (regionId: string) => PricingVersion[], wall: number): Promise<void> {
    for (const aggregate of await this.intervals.closedWithoutOutcome()) {
      const versions = versionsOf(aggregate.regionId);
      const outcome =
        versions.length === 0
          ? { utilisation: null, level: null }
          : expostOutcome(aggregate, versionInForce(versions, aggregate.intervalStart).pricing);
      await this.intervals.recordOutcome(aggregate.regionId, aggregate.intervalStart, outcome, wall);
    }
  }
}
