import { forecastPayload, pricePayload } from '@wattline/contracts';
import { DEFAULT_PRICING_MODEL, fallbackPrice, firmPrice, type FirmPrice, type PriceInputs } from '@wattline/domain';
import { createTestDatabase } from '@wattline/testing';
import type { DataSource } from 'typeorm';
import { CatalogRepository } from './catalog.repository';
import { createDataSource } from './data-source';
import { PricingRepository } from './pricing.repository';

const HALF = 1_800_000;
const DAY = Date.UTC(2013, 11, 3);
const NOW = Date.UTC(2013, 11, 2, 16);

function priced(start: number, demandWh: number): FirmPrice {
  const inputs: PriceInputs = { regionId: 'kitakyushu', intervalStart: start, intervalEnd: start + HALF, timeZone: 'Asia/Tokyo', forecastDemandWh: demandWh, forecastSupplyWh: 0, forecastMethod: 'same-slot-same-day-type', wholesalePrice: null, scheduledPrice: null, event: null, previousPriceExTax: null };
  const p = firmPrice(inputs, DEFAULT_PRICING_MODEL, 1, 'day-ahead');
  if ('reason' in p) throw new Error(p.detail);
  return p;
}

/** Day-ahead state on real PostgreSQL: each write happens once whoever races for it, and a published price never changes. */
describe('PricingRepository on real PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  let pricing: PricingRepository;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = createDataSource(db.url);
    await dataSource.initialize();
    pricing = new PricingRepository(dataSource);
    await new CatalogRepository(dataSource).createRegion({ id: 'kitakyushu', name: 'Kitakyushu', timezone: 'Asia/Tokyo', pricing: DEFAULT_PRICING_MODEL });
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('a new region has its pricing as version 1, in force from the beginning', async () => {
    await expect(pricing.pricingVersions('kitakyushu')).resolves.toEqual([expect.objectContaining({ version: 1, effectiveFrom: null, pricing: DEFAULT_PRICING_MODEL })]);
  });

  it('commits a day once: of two replicas racing for it, one stores the schedule and its announcement, the other nothing', async () => {
    await pricing.initState('kitakyushu', DAY);
    const prices = [priced(DAY, 10_000), priced(DAY + HALF, 45_000)];
    const announcement = { regionId: 'kitakyushu', kind: 'forecast' as const, payload: forecastPayload('kitakyushu', NOW, prices.map((p) => ({ ...p, computedAt: NOW }))) };
    const forecasts = prices.map((p) => ({ intervalStart: p.intervalStart, intervalEnd: p.intervalEnd, demandWh: p.forecastDemandWh!, supplyWh: 0, method: 'same-slot-same-day-type' as const, samples: 4 }));
    const results = await Promise.all([1, 2].map(() => pricing.commitDay('kitakyushu', DAY, DAY + 86_400_000, prices, forecasts, NOW, announcement)));
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(results.find((r) => r !== null)!.map((t) => [t.level, t.price, t.basis, t.firm])).toEqual([
      [1, '15.0000', 'day-ahead', true],
      [4, '100.0000', 'day-ahead', true],
    ]);
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM price_announcements WHERE kind = 'forecast'`);
    expect(n).toBe(1);
    expect((await pricing.regionStates())[0].nextDayStart).toBe(DAY + 86_400_000);
    expect((await pricing.tariffStarting('kitakyushu', DAY + HALF))?.explanation?.inputs.forecastDemandWh).toBe(45_000);
  });

  it('refuses a pricing change that would reach back into announced prices, and names the earliest allowed time', async () => {
    const flat = { model: 'flat' as const, currency: 'JPY', price: '30' };
    await expect(pricing.addPricingVersion('kitakyushu', flat, DAY, NOW)).resolves.toEqual({ ok: false, earliest: DAY + 2 * HALF });
    await expect(pricing.addPricingVersion('kitakyushu', flat, DAY + 2 * HALF, NOW)).resolves.toMatchObject({ ok: true, version: { version: 2, effectiveFrom: DAY + 2 * HALF } });
  });

  it('moves the price in force once per change, and hands announcements out in order to one claimant at a time', async () => {
    const fallback = { regionId: 'kitakyushu', kind: 'current' as const, payload: pricePayload({ ...fallbackPrice('kitakyushu', { start: DAY - HALF, end: DAY }, DEFAULT_PRICING_MODEL, 1), computedAt: NOW }) };
    const seen = { start: null, basis: null, version: null };
    const next = { start: DAY - HALF, basis: 'fallback', version: 1 };
    const moves = await Promise.all([1, 2, 3].map(() => pricing.moveCurrent('kitakyushu', seen, next, fallback, NOW)));
    expect(moves.filter(Boolean)).toHaveLength(1);
    await expect(pricing.moveCurrent('kitakyushu', seen, next, fallback, NOW)).resolves.toBe(false);

    const claimed = await pricing.claimAnnouncements('a', NOW, 60_000);
    expect(claimed.map((a) => a.kind)).toEqual(['forecast', 'current']);
    expect(claimed[0].seq).toBeLessThan(claimed[1].seq);
    expect(claimed[1].payload).toMatchObject({ basis: 'fallback', firm: false, price: '75.0000', validFrom: new Date(DAY - HALF).toISOString() });
    await expect(pricing.claimAnnouncements('b', NOW, 60_000)).resolves.toEqual([]);
    await pricing.releaseAnnouncementClaims([claimed[1].seq], 'a');
    await pricing.markAnnouncementsPublished([claimed[0].seq], 'a', NOW);
    await expect(pricing.claimAnnouncements('b', NOW, 60_000)).resolves.toEqual([expect.objectContaining({ seq: claimed[1].seq })]);
    await expect(pricing.latestAnnouncement('kitakyushu', 'current')).resolves.toMatchObject({ seq: claimed[1].seq });
  });

  it('spends a yearly event budget once, even when declarations race for the last one', async () => {
    const event = (i: number) => ({ id: `00000000-0000-4000-8000-00000000000${i}`, regionId: 'kitakyushu', start: DAY + i * 86_400_000, end: DAY + i * 86_400_000 + 4 * HALF, level: 5 as const, reason: 'heat', declaredAt: NOW });
    const year = [Date.UTC(2012, 11, 31, 15), Date.UTC(2013, 11, 31, 15)] as const;
    await expect(pricing.declareEvent(event(1), ...year, 2)).resolves.toEqual({ ok: true });
    const racing = await Promise.all([2, 3, 4].map((i) => pricing.declareEvent(event(i), ...year, 2)));
    expect(racing.filter((r) => r.ok)).toHaveLength(1);
    expect(racing.filter((r) => !r.ok)).toEqual([{ ok: false, used: 2 }, { ok: false, used: 2 }]);
    await expect(pricing.eventsOverlapping('kitakyushu', DAY, DAY + 10 * 86_400_000)).resolves.toHaveLength(2);
  });
});
