import { Inject, Injectable, Logger } from '@nestjs/common';
import { IntervalsRepository } from '@wattline/persistence';
import { CLOCK, Metrics, type Clock } from '@wattline/platform';
import { STREAM, type StreamPort } from '@wattline/stream';

/**
 * Hands stored tariffs to the stream (`tariffs`, keyed by region) and marks them published.
 * Tariffs are written first and published after (an outbox), so a crash in between
 * publishes them on the next run instead of losing them; replicas skip each other's rows.
 */
@Injectable()
export class TariffPublisherService {
  private readonly logger = new Logger(TariffPublisherService.name);

  constructor(
    private readonly intervals: IntervalsRepository,
    @Inject(STREAM) private readonly stream: StreamPort,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {}

  async publishPending(): Promise<number> {
    const pending = await this.intervals.publishPendingTariffs(
      (tariffs) => this.stream.publish('tariffs', tariffs.map((tariff) => ({ key: tariff.regionId, value: tariff }))),
      this.clock.now(),
    );
    if (pending.length === 0) return 0;
    this.metrics.tariffsPublished.inc(pending.length);
    for (const t of pending) {
      this.logger.log(`price ${t.regionId} ${new Date(t.intervalStart).toISOString()}: ${t.price} ${t.currency}/kWh (level ${t.level})`);
    }
    return pending.length;
  }
}
