import type { ReadingRecord } from '@wattline/contracts';
import { readLondonHouseholds, slotToReading } from '@wattline/datasets';
import { DEFAULT_PRICING_MODEL } from '@wattline/domain';
import { CatalogRepository, isTransientDatabaseError } from '@wattline/persistence';
import { Metrics, platformProviders } from '@wattline/platform';
import type { WattlineConfig } from '@wattline/config';
import { InProcessStream } from '@wattline/stream';
import { compileProviders, useTestDatabase } from '@wattline/testing';
import { CLOCK_PASS } from '../aggregator.module';
import { ClockService } from '../clock/clock.service';
import { ReadingStoreService } from './reading-store.service';

/**
 * Closing races storing: readings of a real London day arrive out of order, in small batches
 * on three concurrent writers, while the clock's pass runs in a tight loop with no allowed lateness.
 * Whatever the interleaving, every priced interval must agree with its readings: the price
 * was computed from exactly the readings not flagged late, and every late reading is in a
 * revision (a new version) of the interval — none added silently after the price.
 */
const DAY = '2013-12-02';

describe('closing intervals while readings for them are being stored', () => {
  const db = useTestDatabase({ poolSize: 8 });
  let records: ReadingRecord[];

  beforeAll(async () => {
    const catalog = new CatalogRepository(db.dataSource);
    await catalog.createRegion({ id: 'london', name: 'London', timezone: 'Europe/London', pricing: DEFAULT_PRICING_MODEL });
    records = [];
    for await (const slot of readLondonHouseholds({ households: (id) => id < 'MAC000060' })) {
      if (new Date(slot.slotStart).toISOString().startsWith(DAY)) {
        records.push({
          ...slotToReading(slot),
          seq: null,
          meterId: slot.lclId,
          regionId: 'london',
          generationWh: 0,
          receivedAt: Date.UTC(2013, 11, 3, 12),
        });
      }
    }
  });

  it('never adds a reading to a priced interval without a version and a revision', async () => {
    const config = { INTERVAL_SECONDS: 1800, ALLOWED_LATENESS_SECONDS: 0, IDLE_CLOSE_SECONDS: 3600 } as WattlineConfig;
    const clock = { now: () => Date.UTC(2013, 11, 3, 12) };
    const stream = new InProcessStream();
    await stream.start();
    // Displays are not the point here: the announcements the pass drains are taken and dropped.
    await stream.consume('announcements', 'displays', async () => undefined);
    const app = await compileProviders([
      ReadingStoreService,
      ...CLOCK_PASS,
      ...platformProviders({ config, dataSource: db.dataSource, stream, metrics: new Metrics({ defaultMetrics: false }) }, clock),
    ]);
    const store = app.get(ReadingStoreService);
    const pass = app.get(ClockService);

    // Roughly in time order, each reading displaced by up to ~3 half hours: many arrive after
    // a later reading has moved the watermark past their interval.
    const ordered = records
      .map((r, i) => ({ r, key: r.ts + ((i * 7919) % 7) * 1_800_000 * 0.5 }))
      .sort((a, b) => a.key - b.key)
      .map(({ r }) => r);
    const batches: ReadingRecord[][] = [];
    for (let i = 0; i < ordered.length; i += 7) batches.push(ordered.slice(i, i + 7));
    let next = 0;
    // Each writer retries a transient failure (a deadlock between writers) as the stream does.
    const writer = async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        for (;;) {
          try {
            await store.store(batch);
            break;
          } catch (error) {
            if (!isTransientDatabaseError(error)) throw error;
          }
        }
      }
    };
    let storing = true;
    const closing = (async () => {
      let passes = 0;
      while (storing) {
        await pass.pass();
        passes += 1;
      }
      return passes;
    })();
    await Promise.all([writer(), writer(), writer()]);
    storing = false;
    expect(await closing).toBeGreaterThan(10);

    // Compared in numeric, exactly.
    const rows: {
      interval_start: Date;
      expost_level: number | null;
      priced: string;
      on_time: string;
      demand: string;
      revised: string;
      version: number;
      revisions: number;
      late: number;
    }[] = await db.dataSource.query(`
        SELECT a.interval_start, a.closed_demand_wh::numeric::text AS priced, a.demand_wh::numeric::text AS demand, a.version, a.late_readings AS late, a.expost_level,
               (SELECT coalesce(sum(consumption_wh), 0)::text FROM readings r WHERE r.region_id = a.region_id AND r.interval_start = a.interval_start AND NOT r.late) AS on_time,
               (a.closed_demand_wh::numeric + (SELECT coalesce(sum(demand_delta_wh), 0) FROM aggregate_revisions v
                                          WHERE v.region_id = a.region_id AND v.interval_start = a.interval_start))::text AS revised,
               (SELECT count(*)::int FROM aggregate_revisions v WHERE v.region_id = a.region_id AND v.interval_start = a.interval_start) AS revisions
          FROM interval_aggregates a WHERE a.closed_at IS NOT NULL
         ORDER BY a.interval_start`);
    expect(rows.length).toBeGreaterThan(40);
    const lateIntervals = rows.filter((r) => r.late > 0).length;
    expect(lateIntervals).toBeGreaterThan(0); // the race really happened
    for (const row of rows) {
      const at = row.interval_start.toISOString();
      // the interval closed (and its outcome was recorded) with exactly the readings not flagged late
      expect([at, Number(row.priced)]).toEqual([at, Number(row.on_time)]);
      expect([at, row.expost_level]).toEqual([at, expect.any(Number)]);
      // and closed sum + revisions = the interval's sum now
      expect([at, Number(row.demand)]).toEqual([at, Number(row.revised)]);
      expect([at, row.version]).toEqual([at, 1 + row.revisions]);
    }
    const [{ total }] = await db.dataSource.query(`SELECT sum(demand_wh)::float AS total FROM interval_aggregates`);
    expect(total).toBeCloseTo(
      records.reduce((sum, r) => sum + r.consumptionWh, 0),
      3,
    );
    await stream.stop();
  });
});
