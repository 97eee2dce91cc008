import { pricePayload } from '@wattline/contracts';
import { DEFAULT_PRICING_MODEL, fallbackPrice, type Tariff } from '@wattline/domain';
import { firmTariff, useTestDatabase } from '@wattline/testing';
import { AnnouncementsRepository } from './announcements.repository';
import { CatalogRepository } from './catalog.repository';
import { MarketInputsRepository } from './market-inputs.repository';
import { PricingVersionsRepository } from './pricing-versions.repository';
import { Database } from './sql';
import { TariffsRepository } from './tariffs.repository';

const HALF = 1_800_000;
const DAY = Date.UTC(2013, 11, 3);
const NOW = Date.UTC(2013, 11, 2, 16);

function priced(start: number, demandWh: number): Tariff {
  return firmTariff('kitakyushu', start, demandWh, { computedAt: NOW });
}

/**
 * The pricing repositories on real PostgreSQL: each guarded move of a region's state happens
 * once whoever races for it, a stored price never changes, and the announcement outbox hands
 * rows out in order to one claimant at a time.
 */
/** The region's one tariff: its default. */
const KK = { regionId: 'kitakyushu', tariff: 'dynamic' };

describe('pricing repositories on real PostgreSQL', () => {
  const db = useTestDatabase();
  let schedule: PricingVersionsRepository;
  let tariffs: TariffsRepository;
  let announcements: AnnouncementsRepository;

  beforeAll(async () => {
    schedule = new PricingVersionsRepository(db.dataSource);
    tariffs = new TariffsRepository(db.dataSource);
    announcements = new AnnouncementsRepository(db.dataSource);
    await new CatalogRepository(db.dataSource).createRegion({
      id: 'kitakyushu',
      name: 'Kitakyushu',
      timezone: 'Asia/Tokyo',
      pricing: DEFAULT_PRICING_MODEL,
    });
  });

  it('a new region has its pricing as version 1, in force from the beginning', async () => {
    await expect(schedule.versions(KK)).resolves.toEqual([
      expect.objectContaining({ version: 1, effectiveFrom: null, pricing: DEFAULT_PRICING_MODEL }),
    ]);
    await expect(schedule.allVersions()).resolves.toEqual(
      new Map([['kitakyushu', new Map([['dynamic', [expect.objectContaining({ version: 1, tariff: 'dynamic' })]]])]]),
    );
  });

  it('moves the next day to schedule once: of replicas racing for it, one wins, and its transaction commits what it wrote', async () => {
    await schedule.initState(KK, DAY);
    const database = new Database(db.dataSource);
    const results = await Promise.all(
      [1, 2, 3].map(() =>
        database.transaction(async (tx) => {
          if (!(await schedule.advanceDay(KK, DAY, DAY + 86_400_000, tx))) return null;
          return tariffs.insertNew([priced(DAY, 10_000), priced(DAY + HALF, 45_000)], tx);
        }),
      ),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(results.find((r) => r !== null)!.map((t) => [t.level, t.price, t.basis, t.firm])).toEqual([
      [1, '15.0000', 'day-ahead', true],
      [4, '100.0000', 'day-ahead', true],
    ]);
    expect((await schedule.regionStates('kitakyushu'))[0].nextDayStart).toBe(DAY + 86_400_000);
    expect((await tariffs.starting(KK, DAY + HALF))?.explanation?.inputs.forecastDemandWh).toBe(45_000);
  });

  it('never changes a stored price: the same interval priced again stores nothing', async () => {
    await expect(tariffs.insertNew([priced(DAY + HALF, 90_000)])).resolves.toEqual([]);
    await expect(tariffs.starting(KK, DAY + HALF)).resolves.toMatchObject({ price: '100.0000', level: 4 });
    await expect(tariffs.announcedTo(KK)).resolves.toBe(DAY + 2 * HALF);
    await expect(tariffs.priceBefore(KK, DAY + HALF)).resolves.toBe('15.0000');
  });

  it('moves the price in force once per change, and hands announcements out in order to one claimant at a time', async () => {
    const fallback = {
      regionId: 'kitakyushu',
      kind: 'current' as const,
      payload: pricePayload(
        fallbackPrice(
          'kitakyushu',
          { start: DAY - HALF, end: DAY },
          { pricing: DEFAULT_PRICING_MODEL, version: 1, tariff: 'dynamic' },
          NOW,
        ),
      ),
    };
    const seen = { start: null, basis: null, version: null };
    const next = { start: DAY - HALF, basis: 'fallback', version: 1 };
    const moves = await Promise.all([1, 2, 3].map(() => schedule.moveCurrent(KK, seen, next)));
    expect(moves.filter(Boolean)).toHaveLength(1);
    await expect(schedule.moveCurrent(KK, seen, next)).resolves.toBe(false);

    await announcements.insert(
      {
        regionId: 'kitakyushu',
        kind: 'forecast',
        payload: { regionId: 'kitakyushu', publishedAt: new Date(NOW).toISOString(), intervals: [] },
      },
      NOW,
    );
    await announcements.insert(fallback, NOW);
    const claimed = await announcements.claim('a', NOW, 60_000);
    expect(claimed.map((a) => a.kind)).toEqual(['forecast', 'current']);
    expect(claimed[0].seq).toBeLessThan(claimed[1].seq);
    expect(claimed[1].payload).toMatchObject({
      basis: 'fallback',
      firm: false,
      price: '75.0000',
      validFrom: new Date(DAY - HALF).toISOString(),
    });
    await expect(announcements.claim('b', NOW, 60_000)).resolves.toEqual([]);
    await announcements.release([claimed[1]], 'a');
    await announcements.markPublished([claimed[0]], 'a', NOW);
    await expect(announcements.claim('b', NOW, 60_000)).resolves.toEqual([expect.objectContaining({ seq: claimed[1].seq })]);
    await expect(announcements.latest('kitakyushu', 'current')).resolves.toMatchObject({ seq: claimed[1].seq });
  });

  it('claims unpublished tariffs once, oldest first, and gives them back on a failed produce', async () => {
    const first = await tariffs.claim('a', NOW, 60_000);
    expect(first.map((t) => t.intervalStart)).toEqual([DAY, DAY + HALF]);
    await expect(tariffs.claim('b', NOW, 60_000)).resolves.toEqual([]);
    await tariffs.release(first.slice(1), 'a');
    await tariffs.markPublished(first.slice(0, 1), 'a', NOW);
    await expect(tariffs.claim('b', NOW, 60_000)).resolves.toEqual([expect.objectContaining({ intervalStart: DAY + HALF })]);
    // A lease that ran out is taken over: the first claimant's mark no longer counts.
    await tariffs.markPublished(first.slice(1), 'a', NOW);
    await expect(tariffs.claim('c', NOW + 30_000, 60_000)).resolves.toEqual([]);
    const third = await tariffs.claim('c', NOW + 61_000, 60_000);
    expect(third).toEqual([expect.objectContaining({ intervalStart: DAY + HALF })]);
    await tariffs.markPublished(third, 'c', NOW + 61_000);
    await expect(tariffs.claim('d', NOW + 200_000, 60_000)).resolves.toEqual([]);
  });

  it('counts a region year of events and lists them by their start', async () => {
    const market = new MarketInputsRepository(db.dataSource);
    const event = (i: number) => ({
      id: `00000000-0000-4000-8000-00000000000${i}`,
      regionId: 'kitakyushu',
      start: DAY + i * 86_400_000,
      end: DAY + i * 86_400_000 + 4 * HALF,
      level: 5 as const,
      reason: 'heat',
      declaredAt: NOW,
    });
    for (const i of [1, 2, 3]) await market.insertEvent(event(i));
    await expect(market.countEventsStarting('kitakyushu', Date.UTC(2012, 11, 31, 15), Date.UTC(2013, 11, 31, 15))).resolves.toBe(3);
    await expect(market.eventsOverlapping('kitakyushu', DAY, DAY + 2 * 86_400_000 + HALF)).resolves.toHaveLength(2);
    const page = await market.eventsPage('kitakyushu', DAY, DAY + 10 * 86_400_000, 2);
    expect(page.items.map((e) => e.id)).toEqual([event(1).id, event(2).id]);
    const rest = await market.eventsPage('kitakyushu', DAY, DAY + 10 * 86_400_000, 2, page.nextCursor!);
    expect([rest.items.map((e) => e.id), rest.nextCursor]).toEqual([[event(3).id], null]);
  });
});
