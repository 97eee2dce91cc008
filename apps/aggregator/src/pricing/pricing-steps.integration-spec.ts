import type { AnnouncementRecord, PricePayload, ReadingRecord } from '@wattline/contracts';
import { readLondonHouseholds, slotToReading } from '@wattline/datasets';
import type { CriticalPeak5 } from '@wattline/domain';
import { CatalogRepository, ReadingsRepository } from '@wattline/persistence';
import { Metrics, platformProviders } from '@wattline/platform';
import type { WattlineConfig } from '@wattline/config';
import { InProcessStream } from '@wattline/stream';
import { compileProviders, useTestDatabase } from '@wattline/testing';
import { CLOCK_PASS } from '../aggregator.module';
import { ClockService } from '../clock/clock.service';

const HOUR = 3_600_000;
const PRICING: CriticalPeak5 = {
  model: 'critical-peak-5',
  currency: 'GBP',
  levelPrices: ['0.0399', '0.1176', '0.1499', '0.3000', '0.6720'],
  capacityKw: 100,
  thresholds: [0.5, 0.7, 0.85, 1.0],
};

/**
 * What a stalled pipeline does to the display, on real PostgreSQL and the real in-process
 * stream, with the wall clock in the test's hands: the 79 London households report until
 * 16:00 on 3 December 2013, then nothing more arrives. The region's clock keeps moving with the
 * wall clock; the schedule announced at the last cut-off still covers the 4th; at the next
 * cut-off the history is a day stale, so the 5th gets no schedule, and at its midnight the
 * display is told the fallback rate, marked as such — never a price past its `validTo`.
 */
describe('a stalled pipeline, seen from the display', () => {
  const db = useTestDatabase();

  it('keeps the firm schedule while it lasts, then announces the fallback at the first interval without one', async () => {
    await new CatalogRepository(db.dataSource).createRegion({ id: 'london', name: 'London', timezone: 'Europe/London', pricing: PRICING });
    const config = { INTERVAL_SECONDS: 1800, ALLOWED_LATENESS_SECONDS: 300, IDLE_CLOSE_SECONDS: 3600 } as WattlineConfig;
    let wall = Date.UTC(2026, 10, 29, 12);
    const clock = { now: () => wall };
    const stream = new InProcessStream();
    await stream.start();
    const announced: AnnouncementRecord[] = [];
    await stream.consume('announcements', 'display', async (records) => void announced.push(...records), { fromBeginning: true });
    const app = await compileProviders([
      ...CLOCK_PASS,
      ...platformProviders({ config, dataSource: db.dataSource, stream, metrics: new Metrics({ defaultMetrics: false }) }, clock),
    ]);
    const pass = app.get(ClockService);
    const readings = app.get(ReadingsRepository);
    const catalog = app.get(CatalogRepository);
    const last = Date.UTC(2013, 11, 3, 16);
    const byHour = new Map<number, ReadingRecord[]>();
    const households = new Set<string>();
    for await (const slot of readLondonHouseholds()) {
      const reading = slotToReading(slot);
      if (reading.ts > last) continue;
      households.add(slot.lclId);
      const hour = Math.floor(reading.ts / HOUR);
      byHour.set(hour, [
        ...(byHour.get(hour) ?? []),
        { ...reading, seq: null, generationWh: 0, meterId: slot.lclId, regionId: 'london', receivedAt: reading.ts },
      ]);
    }
    for (const id of households) await catalog.createMeter({ id, regionId: 'london', kind: 'meter', passwordHash: 'x' });
    // The live pipeline: an hour of readings at a time, a pass of the clock after each.
    for (const [, batch] of [...byHour].sort((a, b) => a[0] - b[0])) {
      // Each batch is stored as its newest reading arrives (a live feed): the region's time is that reading's.
      wall = Math.max(...batch.map((r) => r.ts)) - Date.UTC(2013, 11, 2) + Date.UTC(2026, 10, 29, 12);
      await readings.storeBatch(batch, 1800, wall);
      await pass.pass();
    }
    const current = () => announced.filter((a) => a.kind === 'current').map((a) => a.payload as PricePayload);
    const forecastDays = () =>
      announced
        .filter((a) => a.kind === 'forecast')
        .flatMap((a) => (a.payload as { intervals: PricePayload[] }).intervals.map((i) => i.validFrom.slice(0, 10)));
    expect(new Set(forecastDays())).toEqual(new Set(['2013-12-03', '2013-12-04']));
    expect(current().at(-1)).toMatchObject({ validFrom: '2013-12-03T16:00:00.000Z', basis: 'day-ahead', firm: true });

    // The stall: nothing arrives any more; the clock keeps ticking as the wall clock moves on.
    const stalledAt = wall;
    for (let h = 1; h <= 36; h++) {
      wall = stalledAt + h * HOUR;
      await pass.pass();
      const now = Date.UTC(2013, 11, 3, 16) + h * HOUR;
      const inForce = current().at(-1)!;
      // Whatever the display holds is valid now: never a price past its validTo.
      expect([h, Date.parse(inForce.validFrom) <= now && now < Date.parse(inForce.validTo)]).toEqual([h, true]);
    }
    expect(new Set(forecastDays())).toEqual(new Set(['2013-12-03', '2013-12-04'])); // no schedule for the 5th from day-old data
    const shown = current();
    const onThe4th = shown.filter((p) => p.validFrom.startsWith('2013-12-04'));
    const onThe5th = shown.filter((p) => p.validFrom.startsWith('2013-12-05'));
    expect(new Set(onThe4th.map((p) => p.basis))).toEqual(new Set(['day-ahead']));
    expect(onThe5th.length).toBeGreaterThan(0);
    expect(new Set(onThe5th.map((p) => `${p.basis}/${p.firm}/${p.price}`))).toEqual(new Set(['fallback/false/0.1499']));
    await stream.stop();
  });
});
