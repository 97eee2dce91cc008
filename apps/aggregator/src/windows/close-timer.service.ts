import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { IntervalCloserService } from './interval-closer.service';

/**
 * The in-process scheduler: looks for due intervals every second, so a quiet region's
 * intervals close by the wall clock and unpublished tariffs are retried.
 */
@Injectable()
export class CloseTimerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CloseTimerService.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly closer: IntervalCloserService) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.closer.closeDue().catch((error: Error) => this.logger.error(`closing intervals failed: ${error.message}`));
    }, 1000);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.closer.closeDue().catch(() => undefined);
  }
}
