import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CONSUMER_GROUPS, type StatusRecord } from '@wattline/contracts';
import { CatalogRepository, isTransientDatabaseError } from '@wattline/persistence';
import { STREAM, type StreamPort, type StreamSubscription } from '@wattline/stream';

/** Folds device presence (`meter.status`) into the catalogue, a batch per statement. */
@Injectable()
export class StatusConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StatusConsumer.name);
  private subscription: StreamSubscription | null = null;

  constructor(
    @Inject(STREAM) private readonly stream: StreamPort,
    private readonly catalog: CatalogRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = await this.stream.consume('status', CONSUMER_GROUPS.aggregatorStatus, (batch) => this.handle(batch), {
      fromBeginning: true,
      isTransient: isTransientDatabaseError,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }

  private async handle(batch: StatusRecord[]): Promise<void> {
    try {
      await this.catalog.setMeterStatuses(batch.map((s) => ({ meterId: s.meterId, online: s.state === 'online', since: s.since })));
    } catch (error) {
      this.logger.error(`recording ${batch.length} presence events failed, the batch will be redelivered: ${(error as Error).message}`);
      throw error;
    }
  }
}
