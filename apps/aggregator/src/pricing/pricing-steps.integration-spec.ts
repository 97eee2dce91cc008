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
/** The region, the clock pass on a wall clock of the test's own, and the LCL readings by hour up to `last`. */
async function stalledLondon(db: ReturnType<typeof useTestDatabase>, regionId: string, last: number) {
  // One database for the file: each case its own region and meters.
  await new CatalogRepository(db.dataSource).createRegion({ id: regionId, name: 'London', timezone: 'Europe/London', pricing: PRICING });
  const config = { INTERVAL_SECONDS: 1800, ALLOWED_LATENESS_SECONDS: 300, IDLE_CLOSE_SECONDS: 3600 } as WattlineConfig;
  const clock = { wall: Date.UTC(2026, 10, 29, 12), now: () => clock.wall };
  const stream = new InProcessStream();
  await stream.start();
  const announced: AnnouncementRecord[] = [];
  await stream.consume('announcements', 'display', async (records) => void announced.push(...records), { fromBeginning: true });
  const metrics = new Metrics({ defaultMetrics: false });
  const app = await compileProviders([...CLOCK_PASS, ...platformProviders({ config, dataSource: db.dataSource, stream, metrics }, clock)]);
  /** A gauge's value for this region (and tariff), as /metrics would show it. */
  const gauge = async (name: string, tariff: string | null = 'dynamic') => {
    const { values } = await metrics.registry.getSingleMetric(name)!.get();
    return values.find((v) => v.labels.region === regionId && (tariff === null || v.labels.tariff === tariff))?.value;
  };
  const pass = app.get(ClockService);
  const readings = app.get(ReadingsRepository);
  const catalog = app.get(CatalogRepository);
  const byHour = new Map<number, ReadingRecord[]>();
  const households = new Set<string>();
  for await (const slot of readLondonHouseholds()) {
    const reading = slotToReading(slot);
    if (reading.ts > last) continue;
    households.add(`${slot.lclId}-${regionId}`);
    const hour = Math.floor(reading.ts / HOUR);
    byHour.set(hour, [
      ...(byHour.get(hour) ?? []),
      { ...reading, seq: null, generationWh: 0, meterId: `${slot.lclId}-${regionId}`, regionId, receivedAt: reading.ts },
    ]);
  }
  for (const id of households) await catalog.createMeter({ id, regionId, kind: 'meter', passwordHash: 'x' });
  const hours = [...byHour].sort((a, b) => a[0] - b[0]).map(([, batch]) => batch);
  /** The live pipeline: an hour of readings at a time, each stored as its newest reading arrives (the region's time is that reading's), a pass of the clock after each. */
  const replay = async (batches: ReadingRecord[][]) => {
    for (const batch of batches) {
      clock.wall = Math.max(...batch.map((r) => r.ts)) - Date.UTC(2013, 11, 2) + Date.UTC(2026, 10, 29, 12);
      await readings.storeBatch(batch, 1800, clock.wall);
      await pass.pass();
    }
  };
  const current = () => announced.filter((a) => a.kind === 'current').map((a) => a.payload as PricePayload);
  const forecasts = () =>
    announced.filter((a) => a.kind === 'forecast').map((a) => a.payload as { publishedAt: string; intervals: PricePayload[] });
  const forecastDays = () => forecasts().flatMap((f) => f.intervals.map((i) => i.validFrom.slice(0, 10)));
  return { clock, stream, pass, readings, hours, replay, current, forecasts, forecastDays, gauge };
}

describe('a stalled pipeline, seen from the display', () => {
  const db = useTestDatabase();

  it('keeps the firm schedule while it lasts, then announces the fallback at the first interval without one', async () => {
    const { clock, stream, pass, hours, replay, current, forecastDays, gauge } = await stalledLondon(
      db,
      'london',
      Date.UTC(2013, 11, 3, 16),
    );
    await replay(hours);
    expect(new Set(forecastDays())).toEqual(new Set(['2013-12-03', '2013-12-04']));
    expect(current().at(-1)).toMatchObject({ validFrom: '2013-12-03T16:00:00.000Z', basis: 'day-ahead', firm: true });
    expect(await gauge('wattline_meters_silent', null)).toBe(0);

    // The stall: nothing arrives any more; the clock keeps ticking as the wall clock moves on.
    const stalledAt = clock.wall;
    for (let h = 1; h <= 36; h++) {
      clock.wall = stalledAt + h * HOUR;
      await pass.pass();
      const now = Date.UTC(2013, 11, 3, 16) + h * HOUR;
      const inForce = current().at(-1)!;
      // Whatever the display holds is valid now: never a price past its validTo.
      expect([h, Date.parse(inForce.validFrom) <= now && now < Date.parse(inForce.validTo)]).toEqual([h, true]);
      // What operators see (the state the pass began with): the newest reading ever older; the price in force runs out within an interval.
      expect([h, await gauge('wattline_event_clock_lag_seconds', null)]).toEqual([h, h * 3600]);
      expect([h, (await gauge('wattline_price_expires_in_seconds'))! <= 1800]).toEqual([h, true]);
    }
    // On the 5th, the fallback in force; every household silent (4 intervals and more without a reading).
    expect(await gauge('wattline_price_fallback_in_force')).toBe(1);
    expect(await gauge('wattline_meters_silent', null)).toBe(79);
    expect(new Set(forecastDays())).toEqual(new Set(['2013-12-03', '2013-12-04'])); // no schedule for the 5th from day-old data
    const shown = current();
    const onThe4th = shown.filter((p) => p.validFrom.startsWith('2013-12-04'));
    const onThe5th = shown.filter((p) => p.validFrom.startsWith('2013-12-05'));
    expect(new Set(onThe4th.map((p) => p.basis))).toEqual(new Set(['day-ahead']));
    expect(onThe5th.length).toBeGreaterThan(0);
    expect(new Set(onThe5th.map((p) => `${p.basis}/${p.firm}/${p.price}`))).toEqual(new Set(['fallback/false/0.1499']));
    await stream.stop();
  });

  it('tries a day it could not price at the cut-off again on every pass, and announces it once the readings are back, before it starts', async () => {
    const { clock, stream, pass, readings, hours, replay, current, forecasts, forecastDays, gauge } = await stalledLondon(
      db,
      'london2',
      Date.UTC(2013, 11, 4, 18),
    );
    // Live until 15:30 on the 3rd; then the feed stalls past the 5th's cut-off (16:00 on the 4th), where the history is over a day stale.
    const stallFrom = hours.findIndex((batch) => Math.max(...batch.map((r) => r.ts)) > Date.UTC(2013, 11, 3, 16));
    await replay(hours.slice(0, stallFrom));
    const stalledAt = clock.wall;
    for (let h = 1; h <= 26; h++) {
      clock.wall = stalledAt + h * HOUR;
      await pass.pass();
    }
    expect(new Set(forecastDays())).toEqual(new Set(['2013-12-03', '2013-12-04'])); // not the 5th: no schedule from day-old data
    // The gauge an operator is alerted on: past the 5th's cut-off (16:00 on the 4th) without it, as the last pass began.
    expect(await gauge('wattline_schedule_late_seconds')).toBe(3600 + 1800);
    // The backlog arrives (16:00 on the 3rd to 16:00 on the 4th, stored at once, late), before the 5th starts.
    const backlog = hours.slice(stallFrom).filter((batch) => Math.max(...batch.map((r) => r.ts)) <= Date.UTC(2013, 11, 4, 16));
    await readings.storeBatch(backlog.flat(), 1800, clock.wall);
    await pass.pass();
    const the5th = forecasts().filter((f) => f.intervals.some((i) => i.validFrom.startsWith('2013-12-05')));
    expect(the5th).toHaveLength(1);
    const priced = the5th[0].intervals.filter((i) => i.validFrom.startsWith('2013-12-05'));
    expect(priced).toHaveLength(48);
    // Firm, from the day ahead, computed now (after the cut-off): what the display is told the 5th costs.
    expect(new Set(priced.map((p) => `${p.basis}/${p.firm}/${p.computedAt}`))).toEqual(
      new Set([`day-ahead/true/${new Date(clock.wall).toISOString()}`]),
    );
    // Once announced, the next passes announce it no more.
    for (let h = 1; h <= 3; h++) {
      clock.wall += HOUR;
      await pass.pass();
    }
    expect(forecasts().filter((f) => f.intervals.some((i) => i.validFrom.startsWith('2013-12-05')))).toHaveLength(1);
    expect(await gauge('wattline_schedule_late_seconds')).toBe(0); // the 6th's cut-off is ahead
    expect(current().at(-1)?.basis).toBe('day-ahead');
    await stream.stop();
  });
});
