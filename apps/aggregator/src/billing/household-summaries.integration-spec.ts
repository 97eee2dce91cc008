import type { HouseholdSummaryPayload, ReadingRecord } from '@wattline/contracts';
import { readLondonHouseholds, slotToReading } from '@wattline/datasets';
import { billingRates, buildBill, localYearStart, type FlatModel } from '@wattline/domain';
import {
  AnnouncementsRepository,
  CatalogRepository,
  PricingVersionsRepository,
  ReadingsRepository,
  TariffsRepository,
} from '@wattline/persistence';
import type { WattlineConfig } from '@wattline/config';
import { useTestDatabase } from '@wattline/testing';
import { regionContext } from '../clock/region-context';
import { HouseholdSummariesStep } from './household-summaries.step';

const HOMES = ['MAC000002', 'MAC000003', 'MAC000004'];
// Dearer than LCL's flat 14.228p every half hour, so each day's excess is refunded while the cap lasts.
const PRICING: FlatModel = { model: 'flat', currency: 'GBP', price: '0.30', referencePrice: '0.14228', protectionCapPerYear: '2.50' };

/**
 * The household summaries carry the protection cap's yearly account from one local day to the
 * next instead of reading every household's year at every interval: on real PostgreSQL with three
 * real LCL households, 2–5 December 2013, the cap used on each summary must equal the bill
 * computed from the whole year's readings, across midnights and as the cap runs out; and the
 * year is read once a day, not once an interval.
 */
const LCL = { regionId: 'lcl', tariff: 'dynamic' };

describe('household summaries with a protection cap', () => {
  const db = useTestDatabase();

  it('shows the cap used as the whole year gives it, reading the year once a local day', async () => {
    const catalog = new CatalogRepository(db.dataSource);
    await catalog.createRegion({ id: 'lcl', name: 'LCL', timezone: 'Europe/London', pricing: PRICING });
    for (const id of HOMES) await catalog.createMeter({ id, regionId: 'lcl', kind: 'meter', passwordHash: 'x' });
    const readings = new ReadingsRepository(db.dataSource);
    const batch: ReadingRecord[] = [];
    for await (const slot of readLondonHouseholds({ households: (id) => HOMES.includes(id) })) {
      if (slot.slotStart >= Date.UTC(2013, 11, 6)) continue;
      batch.push({ ...slotToReading(slot), seq: null, generationWh: 0, meterId: slot.lclId, regionId: 'lcl', receivedAt: slot.slotStart });
    }
    await readings.storeBatch(batch, 1800, Date.UTC(2013, 11, 6));

    // The year's reads are counted: what the step asks PostgreSQL for, from the year's start.
    const yearStart = localYearStart(Date.UTC(2013, 11, 2), 'Europe/London');
    let yearReads = 0;
    const counted = Object.create(readings) as ReadingsRepository;
    counted.regionMeterIntervals = (regionId, from, to) => {
      if (from === yearStart) yearReads += 1;
      return readings.regionMeterIntervals(regionId, from, to);
    };
    const schedule = new PricingVersionsRepository(db.dataSource);
    const tariffs = new TariffsRepository(db.dataSource);
    const step = new HouseholdSummariesStep(
      counted,
      tariffs,
      new CatalogRepository(db.dataSource),
      new AnnouncementsRepository(db.dataSource),
      {
        INTERVAL_SECONDS: 1800,
      } as WattlineConfig,
    );
    const versions = await schedule.versions(LCL);
    const [state] = await schedule.regionStates('lcl');

    const latest = async () => {
      const rows: { meter_id: string; payload: HouseholdSummaryPayload }[] = await db.dataSource.query(
        `SELECT DISTINCT ON (meter_id) meter_id, payload FROM price_announcements WHERE kind = 'household' ORDER BY meter_id, seq DESC`,
      );
      return new Map(rows.map((r) => [r.meter_id, r.payload]));
    };
    // Across two midnights (the interval to midnight, the first after it) and on to the cap's end.
    const moments = [
      Date.UTC(2013, 11, 2, 23, 30),
      Date.UTC(2013, 11, 3),
      Date.UTC(2013, 11, 3, 0, 30),
      Date.UTC(2013, 11, 3, 12),
      Date.UTC(2013, 11, 4, 0, 30),
      Date.UTC(2013, 11, 4, 18),
      Date.UTC(2013, 11, 5, 20),
    ];
    const seen = new Set<string>();
    for (const at of moments) {
      expect(await step.run([regionContext(state, versions, at)], at)).toBe(HOMES.length);
      const summaries = await latest();
      const year = await readings.regionMeterIntervals('lcl', yearStart, at);
      const rates = billingRates(await tariffs.between(LCL, yearStart, at), versions);
      for (const id of HOMES) {
        const whole = buildBill({
          timeZone: 'Europe/London',
          from: yearStart,
          to: at,
          energy: year.get(id)!,
          ...rates,
          groupBy: 'interval',
        });
        const summary = summaries.get(id)!;
        expect([id, new Date(at).toISOString(), summary.at, summary.protection]).toEqual([
          id,
          new Date(at).toISOString(),
          new Date(at).toISOString(),
          { capPerYear: '2.5000', used: whole.protection!.usedAfter, remaining: whole.protection!.remaining },
        ]);
        seen.add(whole.protection!.remaining === '0.0000' ? 'spent' : 'left');
      }
    }
    // The cap ran out for at least one household within these days, and was still open before.
    expect([...seen].sort()).toEqual(['left', 'spent']);
    // The year was read once for each of the four local days, not once for each of the seven passes.
    expect(yearReads).toBe(4);
  });
});
