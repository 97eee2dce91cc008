import http from 'node:http';
import { createTestDatabase, restClient, startPlatformProcess, type PlatformProcess } from '@wattline/testing';

/**
 * What a hostile or careless HTTP client sends the API (#23), against the running platform: a
 * count written in hex, prices and events in the year 1 or 9999, a 250 KB field name echoed
 * back (a CSV column) — each answered with a small problem that says what to fix, nothing stored.
 */
describe('the API against hostile requests', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;
  let admin: ReturnType<typeof restClient>;
  const raw = (path: string, init: RequestInit = {}) =>
    fetch(`${platform.httpUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${platform.adminKey}`, 'content-type': 'application/json', ...init.headers },
    });

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    platform = await startPlatformProcess({ DATABASE_URL: db.url });
    admin = restClient(platform.httpUrl, platform.adminKey);
    expect((await admin.post('/v1/regions', { id: 'kyu', name: 'Kitakyushu', timezone: 'Asia/Tokyo' })).status).toBe(201);
  });

  afterAll(async () => {
    await platform?.stop();
    await db?.drop();
  });

  it('reads counts in decimal digits only: page=0x10, limit=1e3 and page_size= 5 are refused, not read as 16, 1000 and 5', async () => {
    for (const query of ['page=0x10', 'page_size=1e3', 'page_size=%205', 'page=-1']) {
      const res = await fetch(`${platform.httpUrl}/v1/products/kyu/electricity-tariffs/dynamic/standard-unit-rates/?${query}`);
      expect([query, res.status, (await res.json()).errors?.[0]?.message]).toEqual([
        query,
        400,
        expect.stringMatching(/decimal digits|greater/),
      ]);
    }
    expect((await admin.get('/v1/regions?limit=0x10')).status).toBe(400);
    expect((await admin.get('/v1/regions?limit=16')).status).toBe(200);
  });

  it('refuses prices, events and windows in the year 1 or 9999', async () => {
    const prices = await admin.post('/v1/regions/kyu/schedules', { prices: [{ intervalStart: '0001-01-01T00:00:00Z', price: '15' }] });
    expect([prices.status, prices.body.detail]).toEqual([400, expect.stringContaining('between 1970 and 2199')]);
    const late = await admin.post('/v1/regions/kyu/schedules', { prices: [{ intervalStart: '9999-12-31T00:00:00Z', price: '15' }] });
    expect(late.status).toBe(400);
    const event = await admin.post('/v1/regions/kyu/events', {
      start: '9999-01-01T00:00:00Z',
      end: '9999-01-01T02:00:00Z',
      level: 5,
      reason: 'x',
    });
    expect(event.status).toBe(400);
    expect((await admin.get('/v1/regions/kyu/aggregates?from=0001-01-01T00:00:00Z&to=2013-12-02T00:00:00Z')).status).toBe(400);
  });

  it('bounds the window of every read, naming the most it covers', async () => {
    expect((await admin.post('/v1/meters', { id: 'm1', regionId: 'kyu' })).status).toBe(201);
    const huge = 'from=1970-01-01T00:00:00Z&to=2199-12-31T00:00:00Z';
    for (const [path, days] of [
      [`/v1/meters/m1/bill?${huge}&groupBy=day`, 366],
      [`/v1/regions/kyu/bills?${huge}`, 92],
      [`/v1/meters/m1/readings?${huge}`, 31],
      [`/v1/regions/kyu/aggregates?${huge}`, 366],
      [`/v1/regions/kyu/response?${huge}`, 366],
    ] as const) {
      const started = Date.now();
      const res = await admin.get(path);
      expect([path, res.status, res.body.detail]).toEqual([path, 400, expect.stringContaining(`at most ${days} days`)]);
      expect(Date.now() - started).toBeLessThan(5_000);
    }
    // A lone `from` reads on from there, as far as the window goes: answered, and bounded.
    const lone = await admin.get('/v1/regions/kyu/tariffs?from=1970-01-01T00:00:00Z');
    expect([lone.status, lone.body.items]).toEqual([200, []]);
    // At the most, answered.
    expect((await admin.get('/v1/meters/m1/bill?from=2013-01-01T00:00:00Z&to=2014-01-01T00:00:00Z&groupBy=month')).status).toBe(200);
    expect((await admin.get('/v1/regions/kyu/events')).status).toBe(200); // events: any window (a few a year)
  });

  it('names an unknown 250 KB column by its start at most: the problem stays small', async () => {
    const column = 'k'.repeat(250_000);
    for (const body of [`${column},price\n2013-12-02T00:00:00Z,15\n`, `a,b,c\n2013-12-02T00:00:00Z,15,${column}\n`]) {
      const res = await raw('/v1/regions/kyu/schedules?timeColumn=valid_from', {
        method: 'POST',
        body,
        headers: { 'content-type': 'text/csv' },
      });
      const text = await res.text();
      expect([res.status, res.headers.get('content-type')]).toEqual([400, expect.stringContaining('application/problem+json')]);
      expect(text.length).toBeLessThan(2_000);
    }
    // Whatever a refusal quotes of the request is clipped, the URL it names included.
    const long = await raw(`/v1/regions/kyu/aggregates?from=${'9'.repeat(5000)}`);
    expect([long.status, (await long.text()).length < 2_000]).toEqual([400, true]);
  });

  // Last in the file: it spends the public endpoint's minute for this address.
  it('keeps the public endpoint cheap: cacheable answers, and a flood from one address answered 429 with Retry-After', async () => {
    const url = `${platform.httpUrl}/v1/products/kyu/electricity-tariffs/dynamic/standard-unit-rates/?page_size=1500`;
    const first = await fetch(url);
    const etag = first.headers.get('etag');
    expect([first.status, first.headers.get('cache-control'), etag]).toEqual([200, 'public, max-age=60', expect.stringMatching(/^W\/"/)]);
    // Through node:http: fetch marks a request with If-None-Match `Cache-Control: no-cache` (the Fetch spec's cache mode).
    const revalidated = await new Promise<number>((resolve, reject) => {
      http
        .get(url, { headers: { 'if-none-match': etag! } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
        .on('error', reject);
    });
    expect(revalidated).toBe(304);
    const started = Date.now();
    const flood = await Promise.all(
      Array.from({ length: 300 }, () =>
        fetch(url).then(async (r) => ({
          status: r.status,
          retryAfter: r.headers.get('retry-after'),
          type: r.headers.get('content-type'),
          body: await r.text(),
        })),
      ),
    );
    const refused = flood.filter((r) => r.status === 429);
    console.log(
      `public flood: 300 parallel requests from one address in ${Date.now() - started} ms, ${flood.length - refused.length} answered, ${refused.length} refused 429`,
    );
    expect(flood.length - refused.length).toBeLessThanOrEqual(60);
    expect(refused.length).toBeGreaterThanOrEqual(240);
    expect(refused[0]).toMatchObject({
      retryAfter: expect.stringMatching(/^\d+$/),
      type: expect.stringContaining('application/problem+json'),
    });
    // The API with a key is another budget: analysts are not locked out by the flood.
    expect((await admin.get('/v1/regions/kyu')).status).toBe(200);
  });
});
