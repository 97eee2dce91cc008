import { Validator } from '@seriousme/openapi-schema-validator';
import { DEFAULT_PRICING_MODEL, buildBill, fallbackPrice } from '@wattline/domain';
import { DocumentedResponses } from '@wattline/testing';
import { billView, regionView, tariffView } from '../dtos/views';
import { openApiDocument } from './openapi.document';

/** The generated document: valid OpenAPI 3.1, every reference resolves, and the views' output is what it describes. */
describe('the OpenAPI document', () => {
  const document = openApiDocument();
  const responses = DocumentedResponses.fromDocument(document);
  const JSON_TYPE = 'application/json; charset=utf-8';

  it('is valid OpenAPI 3.1 by a real validator', async () => {
    const result = await new Validator().validate(document as never);
    expect([result.valid, result.errors]).toEqual([true, undefined]);
  });

  it('describes a response body for every operation that answers JSON, each reference resolving to a generated component', () => {
    const components = Object.keys(document.components.schemas);
    const refs = JSON.stringify(document).match(/#\/components\/schemas\/\w+/g) ?? [];
    expect(refs.length).toBeGreaterThan(30);
    expect(refs.map((r) => r.split('/').pop()).filter((name) => !components.includes(name!))).toEqual([]);
    // Times are said by `format: date-time` alone, not also by zod's 400-character pattern.
    const times = JSON.stringify(document).match(/\{[^{}]*"format":"date-time"[^{}]*\}/g) ?? [];
    expect(times.length).toBeGreaterThan(50);
    expect(times.filter((t) => t.includes('"pattern"'))).toEqual([]);
    // Generated from the zod schemas, not hand-written: a required list and closed objects, as zod writes them.
    expect(document.components.schemas.Meter).toMatchObject({
      required: expect.arrayContaining(['id', 'cohort', 'online']),
      additionalProperties: false,
    });
    for (const [route, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(
        operations as Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>,
      )) {
        if (['/health', '/metrics', '/openapi.json'].includes(route)) continue;
        const success = Object.entries(operation.responses).filter(([status]) => status.startsWith('2'));
        expect([
          method,
          route,
          success.length > 0 && success.every(([, r]) => r.content?.['application/json']?.schema !== undefined),
        ]).toEqual([method, route, true]);
      }
    }
  });

  it('accepts what the views answer and refuses a field it does not name, a missing one, or a number where it says money', () => {
    const region = regionView({
      id: 'kitakyushu',
      name: 'Kitakyushu',
      timezone: 'Asia/Tokyo',
      pricing: DEFAULT_PRICING_MODEL,
      defaultTariff: 'dynamic',
      createdAt: Date.UTC(2026, 0, 1),
    });
    expect(() => responses.check('GET', '/v1/regions/kitakyushu', 200, JSON_TYPE, region)).not.toThrow();
    expect(() => responses.check('GET', '/v1/regions/kitakyushu', 200, JSON_TYPE, { ...region, secret: 'x' })).toThrow(
      /additional properties.*secret/,
    );
    const { createdAt: _dropped, ...withoutCreatedAt } = region;
    expect(() => responses.check('GET', '/v1/regions/kitakyushu', 200, JSON_TYPE, withoutCreatedAt)).toThrow(/createdAt/);

    const start = Date.UTC(2013, 11, 2, 17);
    const price = {
      ...fallbackPrice(
        'london',
        { start, end: start + 1_800_000 },
        { pricing: { ...DEFAULT_PRICING_MODEL, currency: 'GBP', fallbackPrice: '0.1499' }, version: 1, tariff: 'dynamic' },
        start - 86_400_000,
      ),
      feedInPrice: '0.05',
    };
    const page = { items: [tariffView(price)], nextCursor: null };
    expect(() => responses.check('GET', '/v1/regions/london/tariffs?limit=1', 200, JSON_TYPE, page)).not.toThrow();
    expect(() =>
      responses.check('GET', '/v1/regions/london/tariffs', 200, JSON_TYPE, { ...page, items: [{ ...page.items[0], price: 0.1499 }] }),
    ).toThrow(/price must be string/);

    const bill = buildBill({
      timeZone: 'Europe/London',
      from: start,
      to: start + 1_800_000,
      energy: [{ intervalStart: start, intervalEnd: start + 1_800_000, consumptionWh: 812, generationWh: 120 }],
      priceAt: () => ({ price: '0.2399', priceExTax: '0.2285', tax: '0.0114', feedInPrice: '0.05', basis: 'day-ahead' }),
      termsOn: () => ({ standingChargePerDay: '0.45', referencePrice: '0.1499', taxRate: '0.05', protectionCapPerYear: '10' }),
      groupBy: 'hour',
    });
    const view = billView({ ...bill, meterId: 'MAC000002', currency: 'GBP', timezone: 'Europe/London' }, start, start + 1_800_000, 'hour');
    expect(() => responses.check('GET', '/v1/meters/MAC000002/bill', 200, JSON_TYPE, view)).not.toThrow();
  });

  it('refuses an undocumented route or status, and checks problems against the Problem schema', () => {
    expect(() => responses.check('GET', '/v1/nowhere', 200, JSON_TYPE, {})).toThrow(/not in the OpenAPI document/);
    expect(() => responses.check('GET', '/v1/regions', 201, JSON_TYPE, {})).toThrow(/status 201 is not documented/);
    const problem = { type: 'about:blank', title: 'Not Found', status: 404, detail: 'No region x', instance: '/v1/regions/x' };
    expect(() => responses.check('GET', '/v1/regions/x', 404, 'application/problem+json', problem)).not.toThrow();
    expect(() => responses.check('GET', '/v1/regions/x', 404, 'application/problem+json', { detail: 'no title' })).toThrow(/title/);
  });
});
