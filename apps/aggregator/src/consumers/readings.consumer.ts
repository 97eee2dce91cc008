import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CONSUMER_GROUPS } from '@wattline/contracts';
import { isTransientDatabaseError } from '@wattline/persistence';
import { STREAM, type StreamPort, type StreamSubscription } from '@wattline/stream';
import { ReadingStoreService } from '../windows/reading-store.service';

/**
 * The consumer loop only: take a batch from `meter.readings` and store it. The stream commits
 * the position after this resolves, waits out a database outage, and dead-letters a record
 * the database refuses for good. Closing intervals is the scheduler's (jobs/).
 */
@Injectable()
export class ReadingsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReadingsConsumer.name);
  private subscription: StreamSubscription | null = null;

  constructor(
    @Inject(STREAM) private readonly stream: StreamPort,
    private readonly store: ReadingStoreService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = await this.stream.consume('readings', CONSUMER_GROUPS.aggregatorReadings, (batch) => this.store.store(batch).then(() => undefined), {
      fromBeginning: true,
      isTransient: isTransientDatabaseError,
    });
    this.logger.log(`consuming readings as group ${CONSUMER_GROUPS.aggregatorReadings}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }
}
