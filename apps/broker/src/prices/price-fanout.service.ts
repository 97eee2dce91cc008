import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Aedes } from 'aedes';
import { CONSUMER_GROUPS, announcementTopic, type AnnouncementRecord } from '@wattline/contracts';
import { AnnouncementsRepository } from '@wattline/persistence';
import { STREAM, type StreamPort, type StreamSubscription } from '@wattline/stream';
import { BrokerState } from '../state/broker-state';
import { AEDES, closedForDelivery, publishFromBroker } from '../mqtt/broker-client';
import { OpenAdrNotifier } from './openadr-notifier.service';

/**
 * `price.announcements` → retained `prices/{region}/current`, `prices/{region}/forecast` and
 * `households/{meterId}/summary`, byte for byte what the aggregator decided (the price in force,
 * or the fallback; the schedule at the cut-off; each household's day so far). With shared state one instance publishes each (retained in Redis for all);
 * alone, every instance replays the compacted topic into its own memory.
 *
 * What it retains is a cache of PostgreSQL: `restoreFromDatabase` publishes the newest stored
 * announcement of every retained topic again, when a broker with its retained messages in memory
 * starts and when a shared Redis comes back empty (RetainedRestore decides when).
 */
@Injectable()
export class PriceFanoutService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('PriceFanout');
  private subscription: StreamSubscription | null = null;
  /** Highest announcement published per topic: replays and out-of-order records never replace a newer one. */
  private readonly seqByTopic = new Map<string, number>();

  constructor(
    @Inject(AEDES) private readonly aedes: Aedes,
    @Inject(STREAM) private readonly stream: StreamPort,
    private readonly state: BrokerState,
    private readonly announcements: AnnouncementsRepository,
    private readonly openadr: OpenAdrNotifier,
  ) {}

  /** Publishes, retained, the newest stored announcement of every region's tariff and every household. */
  async restoreFromDatabase(why: string): Promise<void> {
    const started = Date.now();
    let restored = 0;
    const regions = await this.announcements.latestRegionAnnouncements();
    await this.publish(regions, false);
    restored += regions.length;
    for (let after = ''; ;) {
      const page = await this.announcements.latestHouseholdAnnouncements(after, 5000);
      if (page.lastMeterId === null) break;
      await this.publish(page.items, false);
      restored += page.items.length;
      after = page.lastMeterId;
    }
    this.logger.log(`${restored} retained announcement(s) restored from the database in ${Date.now() - started} ms (${why})`);
  }

  async onApplicationBootstrap(): Promise<void> {
    // Devices may connect before this consumer has joined its group (after a crash that can
    // take a Kafka session timeout): prices retained in Redis are served meanwhile.
    const group = this.state.consumerGroup(CONSUMER_GROUPS.brokerAnnouncements, this.aedes.id);
    this.subscription = await this.stream.consume('announcements', group, (records) => this.publish(records), { fromBeginning: true });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }

  /** `notify`: a new announcement is also an OpenADR notification; a restored one is not (it was notified when it was made). */
  private async publish(records: AnnouncementRecord[], notify = true): Promise<void> {
    if (closedForDelivery(this.aedes, this.state.shared)) return;
    for (const record of records) {
      const topic = announcementTopic(record);
      if ((this.seqByTopic.get(topic) ?? -1) > record.seq) continue;
      this.seqByTopic.set(topic, record.seq);
      await publishFromBroker(this.aedes, { topic, payload: Buffer.from(JSON.stringify(record.payload)), qos: 1, retain: true });
      if (notify) await this.openadr.announced(record);
    }
    if (records.length > 0) this.logger.debug(`${records.length} announcement(s) fanned out`);
  }
}
