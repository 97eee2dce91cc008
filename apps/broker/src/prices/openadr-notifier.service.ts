import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Aedes } from 'aedes';
import { openAdrEvent, openAdrNotification, openAdrTopics, programIdOf, type AnnouncementRecord } from '@wattline/contracts';
import { OpenAdrObjectsRepository, OpenAdrRepository, TariffsRepository } from '@wattline/persistence';
import { CLOCK, type Clock } from '@wattline/platform';
import { AEDES, publishFromBroker } from '../mqtt/broker-client';

/** A replayed announcement older than this before the broker started is not notified again (VENs read it with GET). */
const REPLAY_MARGIN_MS = 60_000;

/**
 * The VTN's MQTT notifier binding: when a tariff's prices are announced (the forecast topic), each
 * local day that gained firm prices is notified as an OpenADR event — CREATE the first time, UPDATE
 * when a later pass priced more of it — on its program's events topic and on the all-events topic,
 * QoS 1, not retained. The body is the definition's notification whose `object` is the event read
 * from PostgreSQL exactly as `GET /openadr/3/events/{id}` builds it (one mapping, libs/contracts);
 * also on the own events topic of each ven object granted the event's targets, and enqueued for the
 * webhook subscriptions that may read it (openadr_deliveries, deduplicated: two brokers or a replay
 * enqueue it once).
 * A failure here is logged and never holds the prices' own fan-out.
 */
@Injectable()
export class OpenAdrNotifier {
  private readonly logger = new Logger('OpenAdrNotifier');
  private readonly startedAt: number;

  constructor(
    @Inject(AEDES) private readonly aedes: Aedes,
    private readonly openadr: OpenAdrRepository,
    private readonly objects: OpenAdrObjectsRepository,
    private readonly tariffs: TariffsRepository,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.startedAt = clock.now();
  }

  async announced(record: AnnouncementRecord): Promise<void> {
    if (record.kind !== 'forecast') return;
    const { publishedAt, intervals } = record.payload;
    if (Date.parse(publishedAt) < this.startedAt - REPLAY_MARGIN_MS) return;
    // What this announcement priced (the rest of the payload was announced before).
    const fresh = intervals.filter((i) => i.computedAt === publishedAt);
    if (fresh.length === 0) return;
    const ref = { regionId: record.regionId, tariff: fresh[0].tariff };
    try {
      const [program] = await this.openadr.programs(ref);
      if (!program) return;
      const programId = programIdOf(ref);
      for (const { day, dayStart, dayEnd } of await this.openadr.daysOf(
        ref.regionId,
        fresh.map((i) => Date.parse(i.intervalStart)),
      )) {
        const prices = await this.tariffs.between(ref, dayStart, dayEnd);
        if (prices.length === 0) continue;
        const event = openAdrEvent(ref, day, dayStart, prices, program.pricing);
        const operation = event.createdDateTime === event.modificationDateTime ? 'CREATE' : 'UPDATE';
        const notification = openAdrNotification(operation, event);
        // Webhooks first: a row per subscription that may read it, sent by the API's dispatcher with back-off.
        await this.objects.enqueue({
          objectType: 'EVENT',
          operation,
          programId,
          targets: event.targets,
          ownerClientId: null,
          notification,
          dedupeKey: `EVENT:${event.id}:${operation}:${event.modificationDateTime}`,
        });
        const payload = Buffer.from(JSON.stringify(notification));
        const topics = [
          openAdrTopics.programEvents(programId)[operation],
          openAdrTopics.events[operation],
          ...(await this.openadr.vensReading(event.targets)).map((venId) => openAdrTopics.venEvents(venId)[operation]),
        ];
        for (const topic of topics) await publishFromBroker(this.aedes, { topic, payload, qos: 1, retain: false });
      }
    } catch (error) {
      this.logger.warn(`OpenADR notification for ${ref.regionId}/${ref.tariff} not sent: ${(error as Error).message}`);
    }
  }
}
