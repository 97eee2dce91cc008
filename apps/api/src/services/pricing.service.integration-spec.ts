import type { WattlineConfig } from '@wattline/config';
import { DEFAULT_PRICING_MODEL, DomainError } from '@wattline/domain';
import { CatalogRepository, TariffsRepository } from '@wattline/persistence';
import { Metrics, platformProviders } from '@wattline/platform';
import { InProcessStream } from '@wattline/stream';
import { compileProviders, firmTariff, useTestDatabase } from '@wattline/testing';
import { ComputePool } from '../compute/compute-pool.service';
import { CatalogService } from './catalog.service';
import { PricingService } from './pricing.service';

const HALF = 1_800_000;
const DAY = Date.UTC(2013, 11, 3);
const NOW = Date.UTC(2013, 11, 2, 3);

/**
 * The rules the API's pricing service composes over several tables, each in one transaction
 * under the region's lock, on real PostgreSQL: a pricing change never reaches back into an
 * announced price, and a yearly event budget is spent once even when declarations race.
 */
describe('the pricing service on real PostgreSQL', () => {
  const db = useTestDatabase();
  let service: PricingService;

  beforeAll(async () => {
    const config = { INTERVAL_SECONDS: 1800 } as WattlineConfig;
    const app = await compileProviders([
      PricingService,
      CatalogService,
      ComputePool,
      ...platformProviders(
        { config, dataSource: db.dataSource, stream: new InProcessStream(), metrics: new Metrics({ defaultMetrics: false }) },
        { now: () => NOW },
      ),
    ]);
    service = app.get(PricingService);
    await app
      .get(CatalogRepository)
      .createRegion({ id: 'kitakyushu', name: 'Kitakyushu', timezone: 'Asia/Tokyo', pricing: DEFAULT_PRICING_MODEL });
    await app.get(TariffsRepository).insertNew([firmTariff('kitakyushu', DAY, 10_000, { computedAt: NOW })]);
  });

  it('refuses a pricing change that would reach back into announced prices, naming the earliest allowed time', async () => {
    const flat = { model: 'flat' as const, currency: 'JPY', price: '30' };
    const refused = await service.changePricing('kitakyushu', undefined, flat, DAY).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ code: 'conflict', details: { earliest: new Date(DAY + HALF).toISOString() } });
    await expect(service.changePricing('kitakyushu', undefined, flat, DAY + HALF)).resolves.toMatchObject({
      version: 2,
      effectiveFrom: DAY + HALF,
    });
    const [region] = await db.dataSource.query(`SELECT pricing FROM regions WHERE id = 'kitakyushu'`);
    expect(region.pricing).toEqual(flat);
  });

  it('spends a yearly event budget once, even when declarations race for the last one', async () => {
    // Back to critical-peak-5 from 4 December (events override its levels), with a budget of 2.
    await service.changePricing('kitakyushu', undefined, { ...DEFAULT_PRICING_MODEL, eventBudget: 2 }, DAY + 86_400_000);
    const body = (day: number) => ({
      start: new Date(DAY + day * 86_400_000).toISOString(),
      end: new Date(DAY + day * 86_400_000 + 4 * HALF).toISOString(),
      level: 5 as const,
      reason: 'heat',
    });
    await expect(service.declareEvent('kitakyushu', body(1))).resolves.toMatchObject({ level: 5 });
    const racing = await Promise.allSettled([2, 3, 4].map((d) => service.declareEvent('kitakyushu', body(d))));
    expect(racing.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refusals = racing.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as DomainError);
    expect(refusals.map((e) => [e.code, e.message])).toEqual([
      ['conflict', 'region kitakyushu has used its 2 events for 2013'],
      ['conflict', 'region kitakyushu has used its 2 events for 2013'],
    ]);
    await expect(service.events('kitakyushu', DAY, DAY + 10 * 86_400_000, 10)).resolves.toMatchObject({
      items: [expect.anything(), expect.anything()],
    });
  });

  it('refuses an event past its notice deadline, and one over a model without levels, saying which', async () => {
    const event = (start: number) => ({
      start: new Date(start).toISOString(),
      end: new Date(start + 2 * HALF).toISOString(),
      level: 5 as const,
      reason: 'x',
    });
    // 18:00 in Kitakyushu on the 2nd: its notice deadline was the cut-off on the 1st.
    const late = await service.declareEvent('kitakyushu', event(Date.UTC(2013, 11, 2, 9))).catch((e: DomainError) => e);
    expect(late).toMatchObject({ code: 'conflict' });
    expect((late as DomainError).message).toContain(
      'the notice deadline for an event starting 2013-12-02T09:00:00.000Z was 2013-12-01T07:00:00.000Z',
    );
    // The 3rd prices flat from 00:30 (the change above).
    const flat = await service.declareEvent('kitakyushu', event(DAY + 3 * HALF)).catch((e: DomainError) => e);
    expect(flat).toMatchObject({ code: 'validation_failed' });
    expect((flat as DomainError).message).toContain('events override critical-peak-5 levels; the region prices with flat');
  });
});
