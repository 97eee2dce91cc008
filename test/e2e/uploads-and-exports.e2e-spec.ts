import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { Client } from 'pg';
import { createTestDatabase, restClient, startPlatformProcess, type PlatformProcess } from '@wattline/testing';

/**
 * Price uploads and CSV exports as a careless or hostile user sends them (#23), against the
 * running platform on real PostgreSQL: CSV read by a CSV parser (quoted header, quoted comma),
 * every bad row refused with its line and nothing stored — an interval given twice, an empty or
 * non-numeric price, a local time that does not exist or happens twice — the documented 50,000
 * prices taken as JSON, a flood of tiny rows refused without the process's memory following it,
 * and exported cells that a spreadsheet would run as formulas neutralised.
 */
const SCHEDULE = { model: 'schedule', currency: 'GBP', fallbackPrice: '0.15' };
const HALF = 1_800_000;

describe('uploads and exports', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;
  let admin: ReturnType<typeof restClient>;
  const upload = (query: string, body: string, type = 'text/csv') =>
    fetch(`${platform.httpUrl}/v1/regions/lcl/schedules?${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${platform.adminKey}`, 'content-type': type },
      body,
    });
  const COLUMNS = 'timeColumn=valid_from&priceColumn=p_per_kwh&divisor=100&timeZone=Europe/London';
  /** Imported prices stored for the region outside the days the good uploads cover (what a refused upload would have left). */
  const strayPrices = async (): Promise<number> => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT count(*)::int AS n FROM scheduled_prices WHERE region_id = 'lcl' AND interval_start NOT BETWEEN '2013-12-02' AND '2013-12-02 01:00Z' AND interval_start < '2014-01-01'`,
      );
      return rows[0].n as number;
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    platform = await startPlatformProcess({ DATABASE_URL: db.url });
    admin = restClient(platform.httpUrl, platform.adminKey);
    expect((await admin.post('/v1/regions', { id: 'lcl', name: 'LCL', timezone: 'Europe/London', pricing: SCHEDULE })).status).toBe(201);
  });

  afterAll(async () => {
    await platform?.stop();
    await db?.drop();
  });

  it('reads quoted fields as a CSV parser does: a quoted header, a quoted comma, a BOM and CRLF', async () => {
    const csv =
      '\uFEFF"valid_from","p_per_kwh","note"\r\n"2013-12-02 00:00:00","11.76","normal, as usual"\r\n2013-12-02 00:30:00,3.99,"low"\r\n';
    const res = await upload(COLUMNS, csv);
    expect([res.status, await res.json()]).toEqual([201, { stored: 2, from: '2013-12-02T00:00:00.000Z', to: '2013-12-02T01:00:00.000Z' }]);
  });

  it.each([
    [
      'an interval given twice',
      'valid_from,p_per_kwh\n2013-12-03 00:00:00,11.76\n2013-12-03 00:30:00,3.99\n2013-12-03 00:00:00,67.20\n',
      'CSV line 4: 2013-12-03T00:00:00.000Z is given twice (first on line 2)',
    ],
    ['an empty price', 'valid_from,p_per_kwh\n2013-12-03 00:00:00,11.76\n2013-12-03 00:30:00,\n', 'CSV line 3: the price is empty'],
    [
      'a price that is not a number',
      'valid_from,p_per_kwh\n2013-12-03 00:00:00,0x10\n',
      'CSV line 2: the price "0x10" is not a decimal number',
    ],
    [
      'a local time that does not exist',
      'valid_from,p_per_kwh\n2027-03-28 00:30:00,11.76\n2027-03-28 01:30:00,11.76\n',
      'CSV line 3: 2027-03-28 01:30 in Europe/London does not exist',
    ],
    [
      'a local time that happens twice',
      'valid_from,p_per_kwh\n2026-10-25 01:30:00,11.76\n',
      'CSV line 2: 2026-10-25 01:30 in Europe/London happens twice',
    ],
    ['a row with a cell too many', 'valid_from,p_per_kwh\n2013-12-03 00:00:00,11.76,extra\n', 'line 2'],
  ])('refuses %s with its line, and stores nothing of the upload', async (_what, csv, detail) => {
    const res = await upload(COLUMNS, csv);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const body = await res.json();
    expect([res.status, body.detail]).toEqual([400, expect.stringContaining(detail)]);
    expect(await strayPrices()).toBe(0);
  });

  it('refuses an interval given twice in JSON with both places, not a 500', async () => {
    const prices = [
      { intervalStart: '2013-12-04T00:00:00Z', price: '0.1176' },
      { intervalStart: '2013-12-04T00:30:00Z', price: '0.0399' },
      { intervalStart: '2013-12-04T00:00:00.000Z', price: '0.6720' },
    ];
    const res = await admin.post('/v1/regions/lcl/schedules', { prices });
    expect([res.status, res.body.detail]).toEqual([
      400,
      'prices.2.intervalStart: 2013-12-04T00:00:00.000Z is given twice (first at prices.0)',
    ]);
  });

  it('takes the documented 50,000 prices as JSON', async () => {
    const from = Date.UTC(2014, 0, 1);
    const prices = Array.from({ length: 50_000 }, (_, i) => ({
      intervalStart: new Date(from + i * HALF).toISOString(),
      price: '0.1176',
      band: 'Normal',
    }));
    const res = await admin.post('/v1/regions/lcl/schedules', { prices });
    expect([res.status, res.body.stored]).toEqual([201, 50_000]);
    const over = await admin.post('/v1/regions/lcl/schedules', {
      prices: [...prices, { intervalStart: '2020-01-01T00:00:00Z', price: '0.1' }],
    });
    expect(over.status).toBe(400);
  });

  it('stops reading at the upload limits, with the memory of the limits and not of the body', async () => {
    const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${platform.child.pid}/status`, 'utf8'))![1]) * 1024;
    const before = rss();
    // 5 MB of tiny rows, 1.75 million of them: refused at the first (no time), the rest read and dropped.
    const tiny = await upload('timeColumn=a&priceColumn=b', `a,b\n${'1,\n'.repeat(1_750_000)}`);
    expect([tiny.status, (await tiny.json()).detail]).toEqual([400, expect.stringContaining('CSV line 2')]);
    // 60,000 good rows: past the 50,000 prices an upload holds.
    const rows = Array.from({ length: 60_000 }, (_, i) => `${new Date(Date.UTC(2015, 0, 1) + i * HALF).toISOString()},1`).join('\n');
    const many = await upload('timeColumn=a&priceColumn=b', `a,b\n${rows}\n`);
    expect([many.status, (await many.json()).detail]).toEqual([413, 'an upload holds at most 50000 prices; split the series']);
    // 9 MiB in one field: a row no price series has (refused at 4 KiB), and past the bytes an upload may carry.
    const field = await upload('timeColumn=a&priceColumn=b', `a,b\n2015-01-01T00:00:00Z,"${'9'.repeat(9 * 2 ** 20)}"\n`);
    expect([field.status, (await field.json()).detail]).toEqual([400, expect.stringContaining('the CSV cannot be read at line 2')]);
    const huge = await upload('timeColumn=a&priceColumn=b', `a,b\n${'2015-01-01T00:00:00Z,1\n'.repeat(400_000)}`);
    expect([huge.status, (await huge.json()).detail]).toEqual([
      400,
      expect.stringContaining('CSV line 3: 2015-01-01T00:00:00.000Z is given twice'),
    ]);
    const grew = rss() - before;
    console.log(
      `upload limits: the platform's RSS ${Math.round(before / 2 ** 20)} → ${Math.round((before + grew) / 2 ** 20)} MiB over five refused uploads (5 MB of tiny rows, 60,000 rows, a 9 MiB field, 8.8 MB of repeats)`,
    );
    expect(grew).toBeLessThan(100 * 2 ** 20);
    expect(await strayPrices()).toBe(0);
  });

  it("neutralises exported cells a spreadsheet would run as formulas (OWASP's CSV injection rule)", async () => {
    const evil = "=cmd|' /C calc'!A0";
    expect((await admin.post('/v1/regions', { id: 'csv-evil', name: evil, timezone: 'UTC' })).status).toBe(201);
    expect((await admin.post('/v1/api-keys', { name: '@SUM(1+1)*cmd|" /C calc"!A0', role: 'analyst' })).status).toBe(201);
    const regions = parse((await admin.get('/v1/regions?limit=100', { accept: 'text/csv' })).text, { columns: true }) as {
      id: string;
      name: string;
    }[];
    expect(regions.find((r) => r.id === 'csv-evil')?.name).toBe(`'${evil}`);
    const keys = parse((await admin.get('/v1/api-keys?limit=100', { accept: 'text/csv' })).text, { columns: true }) as { name: string }[];
    expect(keys.map((k) => k.name)).toContain(`'@SUM(1+1)*cmd|" /C calc"!A0`);
  });
});
