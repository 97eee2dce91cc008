import { Inject, Injectable } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import { SILENT_AFTER_INTERVALS, pricingHealth } from '@wattline/domain';
import { CatalogRepository } from '@wattline/persistence';
import { CONFIG, Metrics } from '@wattline/platform';
import type { RegionContext } from './region-context';

/** Counting silent devices reads every meter: once a minute, not every pass. */
const SILENT_CHECK_EVERY_MS = 60_000;

/**
 * Step 7: the gauges operators alert on (deploy/prometheus/alerts.yml) — per tariff, how long the
 * price in force has left, whether it is the fallback, how late the next day's schedule is; per
 * region, how far its clock has run past its newest reading and how many devices went silent.
 * Read from what the pass loaded: a pass behind at most.
 */
@Injectable()
export class OperationsGaugesStep {
  private silentCheckedAt = -Infinity;

  constructor(
    private readonly metrics: Metrics,
    private readonly catalog: CatalogRepository,
    @Inject(CONFIG) private readonly config: WattlineConfig,
  ) {}

  async run(regions: Map<string, RegionContext[]>, wall: number): Promise<void> {
    const intervalMs = this.config.INTERVAL_SECONDS * 1000;
    for (const [regionId, tariffs] of regions) {
      for (const tariff of tariffs) {
        if (tariff.versions.length === 0) continue;
        const labels = { region: regionId, tariff: tariff.tariff };
        const health = pricingHealth(tariff, intervalMs);
        if (health.expiresInSeconds !== null) this.metrics.priceExpiresInSeconds.set(labels, health.expiresInSeconds);
        if (health.fallback !== null) this.metrics.fallbackInForce.set(labels, health.fallback ? 1 : 0);
        this.metrics.scheduleLateSeconds.set(labels, health.scheduleLateSeconds);
      }
      const [first] = tariffs;
      if (first?.state.watermark !== null && first?.state.watermark !== undefined)
        this.metrics.eventClockLagSeconds.set({ region: regionId }, Math.max(0, (first.now - first.state.watermark) / 1000));
    }
    this.metrics.lastPassTimestamp.set(wall / 1000);
    if (wall - this.silentCheckedAt < SILENT_CHECK_EVERY_MS) return;
    this.silentCheckedAt = wall;
    for (const { regionId, silent } of await this.catalog.silentDevices(wall, SILENT_AFTER_INTERVALS * intervalMs))
      this.metrics.metersSilent.set({ region: regionId }, silent);
  }
}
