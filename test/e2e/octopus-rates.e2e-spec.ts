import http from 'node:http';
import mqtt from 'mqtt';
import { readLondonHouseholds, slotToReading } from '@wattline/datasets';
import {
  createTestDatabase,
  expectEventually,
  restClient,
  startPlatformProcess,
  testServices,
  type PlatformProcess,
} from '@wattline/testing';

/**
 * The Octopus-shaped rates endpoint walked the way an Octopus client does (Home Assistant's
 * integration, evcc): no key, first page, then each absolute `next` URL, over a month of half
 * hours priced from a real London household's December 2013 (the extract's 28 days). Every rate arrives once, newest
 * first, and matches what `/v1/regions/{id}/tariffs` publishes.
 */
const HOME = 'MAC000002';
const DECEMBER = { from: '2013-12-01T00:00:00Z', to: '2014-01-01T00:00:00Z' };

describe('Octopus-shaped standard unit rates', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    platform = await startPlatformProcess({
      KAFKA_BROKERS: testServices().kafkaBrokers,
      KAFKA_TOPIC_PREFIX: `octo${Date.now().toString(36)}.`,
      DATABASE_URL: db.url,
      ALLOWED_LATENESS_SECONDS: '0',
      IDLE_CLOSE_SECONDS: '3600',
      MQTT_MAX_PUBLISH_RATE: '100000',
    });
  });

  afterAll(async () => {
    await platform?.stop();
    await db?.drop();
  });

  it('pages a month of half-hour rates through absolute next URLs, each once, newest first, equal to the published prices', async () => {
    const api = restClient(platform.httpUrl, platform.adminKey);
    await api.post('/v1/regions', {
      id: 'london',
      name: 'London',
      pricing: {
        model: 'critical-peak-5',
        currency: 'GBP',
        levelPrices: ['0.0399', '0.1176', '0.1499', '0.2000', '0.6720'],
        capacityKw: 0.5,
        thresholds: [0.5, 0.7, 0.85, 1],
      },
    });
    const { body } = await api.post('/v1/meters', { id: HOME, regionId: 'london' });
    const meter = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: HOME,
      username: HOME,
      password: body.mqtt.password,
      reconnectPeriod: 0,
    });
    const slots = [];
    for await (const slot of readLondonHouseholds({ households: (id) => id === HOME })) slots.push(slot);
    for (let i = 0; i < slots.length; i += 100) {
      await meter.publishAsync(
        `meters/${HOME}/readings`,
        JSON.stringify({ readings: slots.slice(i, i + 100).map((s) => slotToReading(s)) }),
        { qos: 1 },
      );
    }
    await meter.endAsync();
    // With no lateness every interval closes as the next reading arrives; each day from the 3rd
    // to the 30th is priced ahead at its cut-off from the history before it.
    const published = await expectEventually(
      async () => {
        const page = (await api.get(`/v1/regions/london/tariffs?from=${DECEMBER.from}&to=${DECEMBER.to}&limit=10000`)).body;
        return page.items.length >= slots.length - 1 ? page.items : undefined;
      },
      { what: 'a month of prices', timeoutMs: 60_000 },
    );
    expect(published.length).toBeGreaterThanOrEqual(slots.length - 1); // the extract's 28 days of half hours

    const results: { value_exc_vat: number; value_inc_vat: number; valid_from: string; valid_to: string }[] = [];
    let url: string | null =
      `${platform.httpUrl}/v1/products/london/electricity-tariffs/dynamic/standard-unit-rates/?period_from=${DECEMBER.from}&period_to=${DECEMBER.to}&page_size=100`;
    let pages = 0;
    let count = -1;
    while (url) {
      const res = await fetch(url); // no Authorization: public, as Octopus's is
      expect(res.status).toBe(200);
      const page = (await res.json()) as { count: number; next: string | null; previous: string | null; results: typeof results };
      if (pages > 0) expect(page.previous).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/products\/london\/.*[?&]page=\d+/);
      else expect(page.previous).toBeNull();
      if (page.next) expect(new URL(page.next).origin).toBe(platform.httpUrl); // absolute
      count = page.count;
      results.push(...page.results);
      url = page.next;
      pages += 1;
    }
    expect(count).toBe(published.length);
    expect(pages).toBe(Math.ceil(published.length / 100));
    expect(results).toHaveLength(published.length);
    expect(new Set(results.map((r) => r.valid_from)).size).toBe(results.length); // each once
    const newestFirst = [...results].sort((a, b) => b.valid_from.localeCompare(a.valid_from));
    expect(results).toEqual(newestFirst);
    const expected = [...published].reverse().map((p: { intervalStart: string; intervalEnd: string; price: string }) => ({
      valid_from: p.intervalStart,
      valid_to: p.intervalEnd,
      minor: Math.round(Number(p.price) * 1_000_000) / 10_000,
    }));
    expect(results.map((r) => ({ valid_from: r.valid_from, valid_to: r.valid_to, minor: r.value_inc_vat }))).toEqual(expected);
    // The tariff's own precision survives: 0.0399 GBP/kWh is 3.99 p/kWh, not 4.
    expect(results.some((r) => r.value_inc_vat === 3.99)).toBe(true);
  });

  it('builds its absolute links from the configured base URL, never from the Host header a client sends', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.get(
        `${platform.httpUrl}/v1/products/london/electricity-tariffs/dynamic/standard-unit-rates/?page_size=10`,
        { headers: { host: 'evil.example:443' } },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
    });
    const page = JSON.parse(body) as { next: string };
    expect(new URL(page.next).origin).toBe(platform.httpUrl);
  });

  it('answers bad queries and unknown regions as problems', async () => {
    const get = (path: string) => fetch(`${platform.httpUrl}/v1/products/${path}`);
    expect((await get('london/electricity-tariffs/dynamic/standard-unit-rates/?page_size=5000')).status).toBe(400);
    expect(
      (await get(`london/electricity-tariffs/dynamic/standard-unit-rates/?period_from=${DECEMBER.to}&period_to=${DECEMBER.from}`)).status,
    ).toBe(400);
    expect((await get('nowhere/electricity-tariffs/dynamic/standard-unit-rates/')).status).toBe(404);
    // The tariff code selects one of the region's tariffs: one it does not offer is not found, and says which it offers.
    const unknown = await get('london/electricity-tariffs/E-1R-AGILE-24-10-01-C/standard-unit-rates/');
    expect([unknown.status, ((await unknown.json()) as { detail: string }).detail]).toEqual([
      404,
      expect.stringContaining('it offers dynamic'),
    ]);
    const beyond = (await (await get('london/electricity-tariffs/dynamic/standard-unit-rates/?page=999')).json()) as {
      count: number;
      results: unknown[];
      next: unknown;
    };
    expect([beyond.results, beyond.next]).toEqual([[], null]);
    expect(beyond.count).toBeGreaterThan(1300);
  });
});
