import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { IntervalsRepository } from '@wattline/persistence';
import { CLOCK, Metrics, type Clock } from '@wattline/platform';
import { STREAM, type StreamPort } from '@wattline/stream';

/** How long a claim on outbox rows lasts before another replica may take them over. */
const CLAIM_LEASE_MS = 60_000;

/**
 * Drains the tariff outbox: claim unpublished rows (one short statement), produce them to
 * `tariffs` (keyed by region) with no transaction open, then mark them published. A crash
 * after the produce republishes them once the claim expires (the topic is compacted and the
 * fan-out never moves a region's price backwards, so a repeat is harmless); a failed produce
 * gives the claim back.
 */
@Injectable()
export class TariffPublisherService {
  private readonly logger = new Logger(TariffPublisherService.name);
  private readonly claimant = `aggregator@${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  constructor(
    private readonly intervals: IntervalsRepository,
    @Inject(STREAM) private readonly stream: StreamPort,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {}

  async publishPending(): Promise<number> {
    const claimed = await this.intervals.claimUnpublishedTariffs(this.claimant, this.clock.now(), CLAIM_LEASE_MS);
    if (claimed.length === 0) return 0;
    try {
      await this.stream.publish('tariffs', claimed.map((tariff) => ({ key: tariff.regionId, value: tariff })));
    } catch (error) {
      await this.intervals.releaseTariffClaims(claimed, this.claimant).catch(() => undefined);
      throw error;
    }
    await this.intervals.markTariffsPublished(claimed, this.claimant, this.clock.now());
    this.metrics.tariffsPublished.inc(claimed.length);
    const first = claimed[0];
    const last = claimed[claimed.length - 1];
    this.logger.log(`${claimed.length} firm price(s) to tariffs: ${first.regionId} ${new Date(first.intervalStart).toISOString()} … ${last.regionId} ${new Date(last.intervalStart).toISOString()}`);
    return claimed.length;
  }
}
