import {
  pricePayload,
  tariffPartitionKey,
  tariffRecord,
  tariffStreamKey,
  type DeadLetterRecord,
  type PoisonReason,
  type StreamTopic,
  type TariffRecord,
} from '@wattline/contracts';
import { type Tariff } from '@wattline/domain';
import { expectEventually, firmTariff } from '@wattline/testing';
import type { StreamObserver, StreamPort } from './stream.port';

/** What the suite needs beyond the port: a way to put bytes on a topic as a foreign producer could. */
export type TestableStream = StreamPort & {
  appendRaw(topic: StreamTopic, records: { key: string | null; text: string | null }[]): unknown;
};

/**
 * The contract every stream adapter passes (as aedes-persistence's abstract.js does for
 * persistences): order per key, at-least-once on handler failure, latest-per-key replay,
 * and the same failure classes: a record that does not parse or fit its schema, or that the
 * handler rejects for good, is dead-lettered with its position and reason and the records
 * after it are delivered; a transient failure is retried with back-off and never skipped.
 */
export function streamContract(name: string, create: (observer: StreamObserver) => Promise<TestableStream>): void {
  describe(`${name} stream contract`, () => {
    let stream: TestableStream;
    const deadLettered: { topic: StreamTopic; reason: PoisonReason }[] = [];
    const observer: StreamObserver = { deadLettered: (topic, reason) => deadLettered.push({ topic, reason }), retried: () => undefined };
    const subscriptions: { stop(): Promise<void> }[] = [];
    const group = () => `test.${Math.random().toString(36).slice(2)}`;
    const reading = (meterId: string, seq: number) => ({
      meterId,
      regionId: 'r1',
      ts: Date.UTC(2013, 11, 2) + seq * 1_800_000,
      periodS: 1800,
      consumptionWh: seq,
      generationWh: 0,
      seq,
      receivedAt: 0,
    });
    /** A firm price as pricing makes and the tariffs table stores it: with its explanation. */
    const tariff = (regionId: string, intervalStart: number, demandWh: number) => firmTariff(regionId, intervalStart, demandWh);
    /** A tariff as the outbox drainer sends it: one record per region and interval, partitioned by region. */
    const tariffMessage = (t: Tariff) => ({ key: tariffStreamKey(t), partitionKey: tariffPartitionKey(t), value: tariffRecord(t) });

    beforeEach(async () => {
      deadLettered.length = 0;
      stream = await create(observer);
      await stream.start();
    });

    afterEach(async () => {
      for (const s of subscriptions.splice(0)) await s.stop();
      await stream.stop();
    });

    it('delivers every record of a key, in order', async () => {
      const seen: number[] = [];
      subscriptions.push(
        await stream.consume('readings', group(), async (batch) => void seen.push(...batch.map((r) => r.seq!)), { fromBeginning: true }),
      );
      for (let seq = 0; seq < 50; seq += 10) {
        await stream.publish(
          'readings',
          Array.from({ length: 10 }, (_, i) => ({ key: 'm1', value: reading('m1', seq + i) })),
        );
      }
      await expectEventually(() => (seen.length >= 50 ? true : undefined), { what: '50 readings' });
      expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
    });

    it('delivers a batch again when its handler fails (at-least-once)', async () => {
      let failures = 0;
      const stored: number[] = [];
      subscriptions.push(
        await stream.consume(
          'readings',
          group(),
          async (batch) => {
            if (failures < 2) {
              failures += 1;
              throw new Error('database unavailable');
            }
            stored.push(...batch.map((r) => r.seq!));
          },
          { fromBeginning: true },
        ),
      );
      await stream.publish(
        'readings',
        [1, 2, 3].map((seq) => ({ key: 'm2', value: reading('m2', seq) })),
      );
      await expectEventually(() => (stored.length >= 3 ? true : undefined), { what: 'redelivery', timeoutMs: 30_000 });
      expect(failures).toBe(2);
      expect(stored).toEqual([1, 2, 3]);
    });

    it('carries stored tariffs (explanation and all) as the contract price, every interval of every region replayed in order to a new group', async () => {
      const DAY = Date.UTC(2013, 11, 2);
      const stored = [
        tariff('r1', DAY, 30_000),
        tariff('r2', DAY, 90_000),
        tariff('r1', DAY + 1_800_000, 95_000),
        tariff('r1', DAY + 3_600_000, 60_000),
        tariff('r2', DAY + 1_800_000, 20_000),
      ];
      expect(stored[0].explanation).toBeDefined(); // what the strict record schema refused before the mapping
      await stream.publish('tariffs', stored.map(tariffMessage));
      // The same interval announced again (a drainer's repeat after a crash): compaction keeps one per interval, not one per region.
      await stream.publish('tariffs', [tariffMessage(stored[2])]);
      const received: TariffRecord[] = [];
      subscriptions.push(await stream.consume('tariffs', group(), async (batch) => void received.push(...batch), { fromBeginning: true }));
      await expectEventually(() => (new Set(received.map((t) => `${t.regionId} ${t.intervalStart}`)).size === 5 ? true : undefined), {
        what: 'every interval of both regions',
      });
      expect(deadLettered).toEqual([]);
      // Each record is exactly the contract's price, and one region's intervals arrive in order (the repeat after them).
      for (const t of stored) expect(received).toContainEqual(pricePayload(t));
      const r1 = received.filter((t) => t.regionId === 'r1').map((t) => t.intervalStart);
      expect([...new Set(r1)]).toEqual([DAY, DAY + 1_800_000, DAY + 3_600_000].map((ms) => new Date(ms).toISOString()));
    });

    /** Reads the readings dead-letter topic from the beginning, as an operator's tool would. */
    const collectDeadLetters = async () => {
      const letters: DeadLetterRecord[] = [];
      subscriptions.push(
        await stream.consume('readingsDeadLetter', group(), async (batch) => void letters.push(...batch), { fromBeginning: true }),
      );
      return letters;
    };

    it('dead-letters a record that is not JSON and one of the wrong shape, with partition, offset and reason, and delivers the records after them', async () => {
      const stored: number[] = [];
      const dlq = await collectDeadLetters();
      subscriptions.push(
        await stream.consume('readings', group(), async (batch) => void stored.push(...batch.map((r) => r.seq!)), { fromBeginning: true }),
      );
      await stream.publish('readings', [{ key: 'm3', value: reading('m3', 1) }]);
      await stream.appendRaw('readings', [
        { key: 'm3', text: '{"meterId":"m3", not json' },
        { key: 'm3', text: JSON.stringify({ ...reading('m3', 2), consumptionWh: 'lots' }) },
      ]);
      await stream.publish('readings', [{ key: 'm3', value: reading('m3', 3) }]);
      await expectEventually(() => (stored.length >= 2 && dlq.length >= 2 ? true : undefined), {
        what: 'readings and dead letters',
        timeoutMs: 30_000,
      });
      expect(stored).toEqual([1, 3]);
      expect(dlq.map((l) => [l.error, l.meterId, l.source?.key])).toEqual([
        ['unparseable', 'm3', 'm3'],
        ['invalid_schema', 'm3', 'm3'],
      ]);
      expect(dlq[1].detail).toMatch(/consumptionWh/);
      expect(dlq[0].payload).toBe('{"meterId":"m3", not json');
      expect(Number(dlq[1].source!.offset)).toBe(Number(dlq[0].source!.offset) + 1);
      expect(deadLettered).toEqual([
        { topic: 'readings', reason: 'unparseable' },
        { topic: 'readings', reason: 'invalid_schema' },
      ]);
    });

    it('dead-letters a record the handler rejects for good, delivers the rest of its batch, and retries transient failures without skipping', async () => {
      const stored: number[] = [];
      let outages = 2;
      const dlq = await collectDeadLetters();
      const permanent = Object.assign(new Error('value violates a check constraint'), { permanent: true });
      subscriptions.push(
        await stream.consume(
          'readings',
          group(),
          async (batch) => {
            if (outages > 0) {
              outages -= 1;
              throw new Error('connection refused');
            }
            if (batch.some((r) => r.seq === 5)) throw permanent;
            stored.push(...batch.map((r) => r.seq!));
          },
          { fromBeginning: true, isTransient: (error) => !(error as { permanent?: boolean }).permanent },
        ),
      );
      await stream.publish(
        'readings',
        [4, 5, 6].map((seq) => ({ key: 'm4', value: reading('m4', seq) })),
      );
      await expectEventually(() => (stored.length >= 2 && dlq.length >= 1 ? true : undefined), {
        what: 'isolation of the bad record',
        timeoutMs: 30_000,
      });
      expect(outages).toBe(0);
      expect(stored).toEqual([4, 6]);
      expect(dlq.map((l) => [l.error, l.detail, JSON.parse(l.payload).seq])).toEqual([
        ['unprocessable', 'value violates a check constraint', 5],
      ]);
    });

    it('shows a consumer waiting out a failure as retrying in its health, and running again after', async () => {
      let failing = true;
      subscriptions.push(
        await stream.consume(
          'readings',
          'test.health',
          async () => {
            if (failing) throw new Error('database unavailable');
          },
          { fromBeginning: true },
        ),
      );
      // In-process, publishing resolves only once the record is processed: not while it fails.
      const published = stream.publish('readings', [{ key: 'm5', value: reading('m5', 1) }]);
      const retrying = await expectEventually(
        async () => (await stream.health()).consumers.find((c) => c.group === 'test.health' && c.state === 'retrying'),
        { what: 'retrying state', timeoutMs: 30_000 },
      );
      expect(retrying.lastError).toBe('database unavailable');
      failing = false;
      await published;
      await expectEventually(
        async () => (await stream.health()).consumers.find((c) => c.group === 'test.health' && c.state === 'running'),
        { what: 'running again', timeoutMs: 30_000 },
      );
    });

    it('reports a group’s lag from the stream’s own offsets: records waiting while its handler is held, none once they are processed', async () => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      subscriptions.push(await stream.consume('readings', 'test.lag', () => held, { fromBeginning: true }));
      const lagOf = async () =>
        (await stream.lag()).filter((l) => l.group === 'test.lag' && l.topic === 'readings').reduce((sum, l) => sum + l.lag, 0);
      const published = stream.publish(
        'readings',
        [1, 2, 3].map((seq) => ({ key: 'm7', value: reading('m7', seq) })),
      );
      expect(
        await expectEventually(async () => ((await lagOf()) >= 3 ? lagOf() : undefined), { what: 'the lag', timeoutMs: 30_000 }),
      ).toBeGreaterThanOrEqual(3);
      release();
      await published;
      await expectEventually(async () => ((await lagOf()) === 0 ? true : undefined), { what: 'no lag', timeoutMs: 30_000 });
    });

    it('reports itself reachable while running', async () => {
      await expect(stream.health()).resolves.toMatchObject({ reachable: true });
    });
  });
}
