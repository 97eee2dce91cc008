import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CONSUMER_GROUPS, type ReadingRecord } from '@wattline/contracts';
import { STREAM, type StreamPort, type StreamSubscription } from '@wattline/stream';
import { IntervalCloserService } from '../windows/interval-closer.service';
import { ReadingStoreService } from '../windows/reading-store.service';

/**
 * The consumer loop only: take a batch from `meter.readings`, store it, let the closer
 * look at the moved watermark. The stream commits the position after this resolves.
 */
@Injectable()
export class ReadingsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReadingsConsumer.name);
  private subscription: StreamSubscription | null = null;

  constructor(
    @Inject(STREAM) private readonly stream: StreamPort,
    private readonly store: ReadingStoreService,
    private readonly closer: IntervalCloserService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = await this.stream.consume('readings', CONSUMER_GROUPS.aggregatorReadings, (batch) => this.handle(batch), {
      fromBeginning: true,
    });
    this.logger.log(`consuming readings as group ${CONSUMER_GROUPS.aggregatorReadings}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }

  private async handle(batch: ReadingRecord[]): Promise<void> {
    await this.store.store(batch);
    // Closing is not part of the batch's fate: a failure here must not redeliver stored readings.
    this.closer.closeDue().catch((error: Error) => this.logger.error(`closing intervals failed: ${error.message}`));
  }
}
