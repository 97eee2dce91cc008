import type { TariffRecord } from '@wattline/contracts';
import { expectEventually } from '@wattline/testing';
import type { StreamPort } from './stream.port';

/**
 * The contract every stream adapter passes (as aedes-persistence's abstract.js does for
 * persistences): order per key, at-least-once on handler failure, latest-per-key replay.
 */
export function streamContract(name: string, create: () => Promise<StreamPort>): void {
  describe(`${name} stream contract`, () => {
    let stream: StreamPort;
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
    const tariff = (regionId: string, intervalStart: number, price: string): TariffRecord => ({
      regionId,
      intervalStart,
      intervalEnd: intervalStart + 1_800_000,
      price,
      currency: 'JPY',
      unit: 'kWh',
      level: 1,
      demandWh: 0,
      supplyWh: 0,
      model: 'flat',
      computedAt: 0,
    });

    beforeEach(async () => {
      stream = await create();
      await stream.start();
    });

    afterEach(async () => {
      for (const s of subscriptions.splice(0)) await s.stop();
      await stream.stop();
    });

    it('delivers every record of a key, in order', async () => {
      const seen: number[] = [];
      subscriptions.push(await stream.consume('readings', group(), async (batch) => void seen.push(...batch.map((r) => r.seq!)), { fromBeginning: true }));
      for (let seq = 0; seq < 50; seq += 10) {
        await stream.publish('readings', Array.from({ length: 10 }, (_, i) => ({ key: 'm1', value: reading('m1', seq + i) })));
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
      await stream.publish('readings', [1, 2, 3].map((seq) => ({ key: 'm2', value: reading('m2', seq) })));
      await expectEventually(() => (stored.length >= 3 ? true : undefined), { what: 'redelivery', timeoutMs: 30_000 });
      expect(failures).toBe(2);
      expect(stored).toEqual([1, 2, 3]);
    });

    it('replays the latest tariff of every region to a new group reading from the beginning', async () => {
      await stream.publish('tariffs', [
        { key: 'r1', value: tariff('r1', 0, '15.0000') },
        { key: 'r2', value: tariff('r2', 0, '50.0000') },
        { key: 'r1', value: tariff('r1', 1_800_000, '150.0000') },
      ]);
      const latest = new Map<string, string>();
      subscriptions.push(
        await stream.consume('tariffs', group(), async (batch) => batch.forEach((t) => latest.set(t.regionId, t.price)), { fromBeginning: true }),
      );
      await expectEventually(() => (latest.get('r1') === '150.0000' && latest.get('r2') === '50.0000' ? true : undefined), { what: 'latest tariffs' });
    });

    it('reports itself healthy while running', async () => {
      await expect(stream.healthy()).resolves.toBe(true);
    });
  });
}
