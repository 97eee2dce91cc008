import { hostname } from 'node:os';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import type { ReadingRecord } from '@wattline/contracts';
import { ReadingsRepository, type StoreResult } from '@wattline/persistence';
import { CLOCK, CONFIG, Metrics, type Clock } from '@wattline/platform';

/** Stores a batch of readings and folds the new ones into the interval sums (one transaction). */
@Injectable()
export class ReadingStoreService {
  private readonly logger = new Logger(ReadingStoreService.name);
  /** Who revises an interval with late data, in the revision trail. */
  private readonly writer = `aggregator@${hostname()}:${process.pid}`;

  constructor(
    private readonly readings: ReadingsRepository,
    @Inject(CONFIG) private readonly config: WattlineConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {}

  /** Stores a batch; what falls before the retention horizon comes back in `beyondRetention`, to be dead-lettered. */
  async store(batch: ReadingRecord[]): Promise<StoreResult> {
    const timer = this.metrics.ingestBatchSeconds.startTimer();
    try {
      const result = await this.readings.storeBatch(batch, this.config.INTERVAL_SECONDS, this.clock.now(), this.writer);
      this.metrics.readingsStored.inc(result.inserted);
      this.metrics.readingsDuplicate.inc(result.duplicates);
      this.metrics.readingsConflicting.inc(result.conflicts.length);
      this.metrics.readingsLate.inc(result.late);
      return result;
    } catch (error) {
      this.logger.error(`storing ${batch.length} readings failed, the batch will be redelivered: ${(error as Error).message}`);
      throw error;
    } finally {
      timer();
    }
  }
}
