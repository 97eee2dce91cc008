import { Inject, Injectable, Logger } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import { pricePayload } from '@wattline/contracts';
import { fallbackPrice, intervalContaining, versionInForce } from '@wattline/domain';
import { AnnouncementsRepository, Database, PricingVersionsRepository, TariffsRepository } from '@wattline/persistence';
import { CONFIG, Metrics } from '@wattline/platform';
import type { RegionContext } from '../clock/region-context';

/**
 * Step 5: a tariff's `current` topic follows the interval now running — its firm price, else the
 * fallback rate. The move and its announcement commit together, guarded on what the region
 * announced when the pass began (a replica that moved it first wins).
 */
@Injectable()
export class MoveCurrentStep {
  private readonly logger = new Logger(MoveCurrentStep.name);

  constructor(
    private readonly db: Database,
    private readonly schedule: PricingVersionsRepository,
    private readonly tariffs: TariffsRepository,
    private readonly announcements: AnnouncementsRepository,
    private readonly metrics: Metrics,
    @Inject(CONFIG) private readonly config: WattlineConfig,
  ) {}

  async run(region: RegionContext): Promise<void> {
    const { regionId: id, ref, state } = region;
    const running = intervalContaining(region.now, this.config.INTERVAL_SECONDS * 1000);
    const firm = await this.tariffs.at(ref, region.now);
    const version = versionInForce(region.versions, running.start);
    const next = firm
      ? { start: firm.intervalStart, basis: firm.basis, version: firm.modelVersion }
      : { start: running.start, basis: 'fallback', version: version.version };
    const seen = { start: state.currentStart, basis: state.currentBasis, version: state.currentVersion };
    if (seen.start === next.start && seen.basis === next.basis && seen.version === next.version) return;
    const payload = pricePayload(firm ?? fallbackPrice(id, running, version, region.wall));
    const moved = await this.db.transaction(async (tx) => {
      if (!(await this.schedule.moveCurrent(ref, seen, next, tx))) return false;
      await this.announcements.insert({ regionId: id, tariff: region.topicTariff, kind: 'current', payload }, region.wall, tx);
      return true;
    });
    if (moved && !firm) this.metrics.fallbackAnnounced.inc({ region: id, tariff: region.tariff });
    if (moved && !firm && state.currentBasis !== 'fallback') {
      this.logger.warn(
        `no firm price for ${id}/${region.tariff} from ${new Date(running.start).toISOString()}: the fallback ${payload.price} ${payload.currency}/kWh is announced until there is one`,
      );
    }
  }
}
