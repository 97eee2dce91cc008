import { Inject, Injectable } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import { SILENT_AFTER_INTERVALS, pricingHealth, regionNow } from '@wattline/domain';
import { CatalogRepository, DeadLettersRepository, PricingVersionsRepository } from '@wattline/persistence';
import { CLOCK, CONFIG, type Clock } from '@wattline/platform';
import { CatalogService } from './catalog.service';

export type AlertSeverity = 'critical' | 'warning';

export interface RegionAlert {
  /** The Prometheus alert of deploy/prometheus/alerts.yml this is the condition of (or, for devices and dead letters, the summary's own). */
  alert: string;
  severity: AlertSeverity;
  tariff: string | null;
  summary: string;
}

export interface RegionAlerts {
  regionId: string;
  at: number;
  regionTime: number | null;
  fleet: { devices: number; online: number; silent: number; deadLettersLastHour: number };
  alerts: RegionAlert[];
}

/** Thresholds as the alert rules have them (deploy/prometheus/alerts.yml). */
const EXPIRED_AFTER_S = 300;
const SCHEDULE_LATE_AFTER_S = 600;
const CLOCK_STALLED_AFTER_S = 900;
const SILENT_DISTRICT = 50;
const HOUR_MS = 3_600_000;

/**
 * A region's alert conditions now, for the dashboard's fleet view and for an operator without
 * Prometheus: the same conditions the alert rules fire on, read from PostgreSQL as the
 * aggregator's pass reads them (the pricing state, the versions, the region's clock) and judged
 * by the same function its gauges use (`pricingHealth`, libs/domain). A condition, not an alert:
 * no `for:` duration applies here.
 */
@Injectable()
export class AlertsService {
  constructor(
    private readonly catalog: CatalogService,
    private readonly devices: CatalogRepository,
    private readonly versions: PricingVersionsRepository,
    private readonly letters: DeadLettersRepository,
    @Inject(CONFIG) private readonly config: WattlineConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async regionAlerts(regionId: string): Promise<RegionAlerts> {
    await this.catalog.getRegion(regionId);
    const wall = this.clock.now();
    const intervalMs = this.config.INTERVAL_SECONDS * 1000;
    const [states, versions, silent, fleet, deadLetters] = await Promise.all([
      this.versions.regionStates(regionId),
      this.versions.allVersions(regionId),
      this.devices.silentDevices(wall, SILENT_AFTER_INTERVALS * intervalMs),
      this.devices.fleetCounts(regionId),
      this.letters.countForRegion(regionId, wall - HOUR_MS),
    ]);
    const alerts: RegionAlert[] = [];
    let regionTime: number | null = null;
    for (const state of states) {
      const now = regionNow(state.clockLead, wall);
      regionTime = now;
      const tariffVersions = versions.get(regionId)?.get(state.tariff) ?? [];
      if (tariffVersions.length === 0) continue;
      const health = pricingHealth({ state, versions: tariffVersions, now, timezone: state.timezone }, intervalMs);
      const tariff = state.tariff;
      if (health.expiresInSeconds !== null && health.expiresInSeconds < -EXPIRED_AFTER_S)
        alerts.push({
          alert: 'WattlinePriceExpired',
          severity: 'critical',
          tariff,
          summary: `the price in force expired ${minutes(-health.expiresInSeconds)} ago`,
        });
      else if (health.expiresInSeconds !== null && health.expiresInSeconds < 0)
        alerts.push({
          alert: 'WattlinePriceExpiring',
          severity: 'warning',
          tariff,
          summary: `the price in force is ${Math.round(-health.expiresInSeconds)} s past its validTo`,
        });
      if (health.fallback)
        alerts.push({
          alert: 'WattlineFallbackInForce',
          severity: 'warning',
          tariff,
          summary: 'no firm price covers the interval in force: the fallback rate applies',
        });
      if (health.scheduleLateSeconds > SCHEDULE_LATE_AFTER_S)
        alerts.push({
          alert: 'WattlineScheduleLate',
          severity: 'warning',
          tariff,
          summary: `the next day is not wholly priced ${minutes(health.scheduleLateSeconds)} after its cut-off (tried again every pass)`,
        });
    }
    const [first] = states;
    if (
      first?.watermark !== null &&
      first?.watermark !== undefined &&
      regionTime !== null &&
      regionTime - first.watermark > CLOCK_STALLED_AFTER_S * 1000
    )
      alerts.push({
        alert: 'WattlineEventClockStalled',
        severity: 'critical',
        tariff: null,
        summary: `no reading for ${minutes((regionTime - first.watermark) / 1000)}`,
      });
    const silentHere = silent.find((s) => s.regionId === regionId)?.silent ?? 0;
    if (silentHere >= SILENT_DISTRICT)
      alerts.push({
        alert: 'WattlineDevicesSilent',
        severity: 'warning',
        tariff: null,
        summary: `${silentHere} devices that reported have sent nothing for ${SILENT_AFTER_INTERVALS} intervals`,
      });
    if (deadLetters > 0)
      alerts.push({
        alert: 'WattlineDeadLetters',
        severity: 'warning',
        tariff: null,
        summary: `${deadLetters} dead letter(s) of this region's devices in the last hour (GET /v1/dead-letters)`,
      });
    return { regionId, at: wall, regionTime, fleet: { ...fleet, silent: silentHere, deadLettersLastHour: deadLetters }, alerts };
  }
}

const minutes = (seconds: number) => (seconds >= 5400 ? `${(seconds / 3600).toFixed(1)} h` : `${Math.round(seconds / 60)} min`);
