import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { kafkaTopicName, pricePayload, tariffPartitionKey, tariffRecord, tariffStreamKey, type TariffRecord } from '@wattline/contracts';
import { type Tariff } from '@wattline/domain';
import { expectEventually, firmTariff, testServices } from '@wattline/testing';
import { KafkaStream } from './kafka.stream';

const HALF = 1_800_000;
const DAY = Date.UTC(2013, 11, 3, 15); // midnight in Kitakyushu
const REGIONS = ['kitakyushu', 'yahata'];

function tariff(regionId: string, i: number, demandWh: number, computedAt: number): Tariff {
  return firmTariff(regionId, DAY + i * HALF, demandWh, { computedAt });
}

const message = (t: Tariff) => ({ key: tariffStreamKey(t), partitionKey: tariffPartitionKey(t), value: tariffRecord(t) });

/**
 * `tariffs` is compacted. Keyed by region alone, compaction kept one price per region, so a
 * consumer reading from the beginning got one price and not the schedule. Keyed by region and
 * interval, it keeps one record per priced interval. Real Kafka, with a segment that rolls at
 * once and a cleaner that runs at the smallest dirt: every interval of both regions is read back
 * after compaction has run (a republished interval shows it ran: only its newest copy is left).
 */
describe('the tariffs topic after compaction', () => {
  it('keeps every priced interval of every region, each once, in order per region', async () => {
    const brokers = testServices().kafkaBrokers.split(',');
    const prefix = `compact${Date.now().toString(36)}.`;
    const topic = kafkaTopicName('tariffs', prefix);
    const stream = new KafkaStream({ brokers, topicPrefix: prefix, clientId: 'compaction-test', replicationFactor: 1 });
    await stream.start();
    const admin = new Kafka({ clientId: 'compaction-admin', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      // alterConfigs replaces the topic's whole configuration (it is not incremental): the policy goes with it.
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: topic,
            configEntries: [
              { name: 'cleanup.policy', value: 'compact' },
              { name: 'segment.ms', value: '100' },
              { name: 'min.cleanable.dirty.ratio', value: '0.001' },
            ],
          },
        ],
      });
      // A day of prices per region, then the whole day published again (a drainer repeating after a
      // crash), newer: compaction must keep the newer copy of each interval and drop the older.
      const first = REGIONS.flatMap((r) => Array.from({ length: 48 }, (_, i) => tariff(r, i, 1000 * i, DAY - 86_400_000)));
      const again = first.map((t) => ({ ...t, computedAt: t.computedAt + 60_000 }));
      await stream.publish('tariffs', first.map(message));
      await stream.publish('tariffs', again.map(message));
      const expected = new Set(again.map((t) => JSON.stringify(pricePayload(t))));

      // Reads the topic from the beginning up to each region's newest record, as a new consumer would.
      const readBack = async (marker: number): Promise<TariffRecord[]> => {
        const records: TariffRecord[] = [];
        const subscription = await stream.consume('tariffs', `compaction.read.${marker}`, async (batch) => void records.push(...batch), {
          fromBeginning: true,
        });
        try {
          await expectEventually(
            () =>
              REGIONS.every((r) => records.some((t) => t.regionId === r && t.computedAt === new Date(marker).toISOString()))
                ? true
                : undefined,
            { what: 'the newest record of each region', timeoutMs: 30_000 },
          );
        } finally {
          await subscription.stop();
        }
        return records.filter((t) => t.computedAt !== new Date(marker).toISOString());
      };

      // A segment rolls when a record arrives after segment.ms: one record per region (its partition) rolls it, and marks the read's end.
      let compacted: TariffRecord[] = [];
      await expectEventually(
        async () => {
          const marker = Date.now();
          await new Promise((resolve) => setTimeout(resolve, 200));
          await stream.publish(
            'tariffs',
            REGIONS.map((r) => message(tariff(r, 100 + (marker % 1000), 0, marker))),
          );
          await new Promise((resolve) => setTimeout(resolve, 1500));
          const read = (await readBack(marker)).filter((t) => Date.parse(t.intervalStart) < DAY + 48 * HALF);
          compacted = read;
          return read.length === again.length ? true : undefined; // both copies are there until the cleaner has run
        },
        { what: 'compaction of the tariffs topic', timeoutMs: 90_000, intervalMs: 500 },
      );
      expect(new Set(compacted.map((t) => JSON.stringify(t)))).toEqual(expected);
      for (const region of REGIONS) {
        const starts = compacted.filter((t) => t.regionId === region).map((t) => Date.parse(t.intervalStart));
        expect(starts).toEqual(Array.from({ length: 48 }, (_, i) => DAY + i * HALF));
      }
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
      await stream.stop();
    }
  });
});
