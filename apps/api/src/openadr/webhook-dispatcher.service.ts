import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import { OpenAdrObjectsRepository, type WebhookDelivery } from '@wattline/persistence';
import { CONFIG, Metrics } from '@wattline/platform';
import { WebhookClient } from './webhook-client';

/** How often the outbox is looked at, and how many deliveries one look takes. */
const POLL_MS = 1_000;
const BATCH = 20;
/** A claimed delivery is another replica's to try again if this one has not answered by then (the client's timeout is 10 s). */
const LEASE_MS = 30_000;
/** Finished deliveries are kept a week (what was sent, and why one was given up), pruned once an hour. */
const KEEP_FINISHED_MS = 7 * 24 * 3_600_000;
const PRUNE_EVERY_MS = 3_600_000;
/** Back-off from 1 s, doubling, at most 5 minutes, with ±20 % jitter so failed callbacks do not come back in step. */
export function backoffMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(1_000 * 2 ** attempts, 300_000);
  return Math.round(base * (0.8 + 0.4 * random()));
}

/**
 * Sends the OpenADR webhook notifications owed (openadr_deliveries, enqueued where the change
 * happened: the broker's event notifier, the VTN's writes). Never on pricing's path: pricing
 * commits, an announcement is published, and only then is a row here written; a callback that is
 * slow or down delays nothing but its own deliveries. Each is tried with back-off until it is
 * answered 2xx or has been tried OPENADR_WEBHOOK_ATTEMPTS times (then `failed`, counted, logged).
 * Replicas share the outbox: a claim is a lease taken with SKIP LOCKED.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WebhookDispatcher');
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> = Promise.resolve();
  private stopped = false;
  private prunedAt = 0;

  constructor(
    private readonly repo: OpenAdrObjectsRepository,
    private readonly client: WebhookClient,
    private readonly metrics: Metrics,
    @Inject(CONFIG) private readonly config: WattlineConfig,
  ) {}

  onApplicationBootstrap(): void {
    const loop = () => {
      if (this.stopped) return;
      this.pass = this.runOnce()
        .then(() => undefined)
        .catch((error: Error) => this.logger.warn(`webhook outbox not read: ${error.message}`))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, POLL_MS);
        });
    };
    this.timer = setTimeout(loop, POLL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pass;
  }

  /** One look at the outbox: every due delivery it claims is tried, all at once. */
  async runOnce(): Promise<number> {
    if (Date.now() - this.prunedAt > PRUNE_EVERY_MS) {
      this.prunedAt = Date.now();
      await this.repo.pruneFinished(KEEP_FINISHED_MS);
    }
    const due = await this.repo.claimDue(BATCH, LEASE_MS);
    await Promise.all(due.map((d) => this.attempt(d)));
    return due.length;
  }

  private async attempt(delivery: WebhookDelivery): Promise<void> {
    let error: string;
    try {
      const status = await this.client.post(delivery.callbackUrl, delivery.bearerToken, delivery.notification);
      if (status >= 200 && status < 300) {
        await this.repo.recordAttempt(delivery.id, 'delivered', null);
        this.metrics.webhookDeliveries.inc({ outcome: 'delivered' });
        return;
      }
      error = `answered ${status}`;
    } catch (e) {
      error = (e as Error).message;
    }
    const tried = delivery.attempts + 1;
    if (tried >= this.config.OPENADR_WEBHOOK_ATTEMPTS) {
      await this.repo.recordAttempt(delivery.id, 'failed', error);
      this.metrics.webhookDeliveries.inc({ outcome: 'failed' });
      this.logger.warn(`webhook to ${delivery.callbackUrl} given up after ${tried} tries: ${error}`);
      return;
    }
    await this.repo.recordAttempt(delivery.id, 'retry', error, backoffMs(tried - 1));
    this.metrics.webhookDeliveries.inc({ outcome: 'retry' });
  }
}
