import { mkdirSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import type { Browser } from 'playwright-core';
import { readLondonHouseholds, slotToReading, type HouseholdSlot } from '@wattline/datasets';
import {
  REPO_ROOT,
  createTestDatabase,
  expectEventually,
  chartData,
  launchChromium,
  restClient,
  startPlatformProcess,
  startTcpProxy,
  type PlatformProcess,
} from '@wattline/testing';

/**
 * The household display and the analysts' dashboard in a real browser: Debian's Chromium,
 * headless, driven by playwright-core. Three real London households report 2 December 2013
 * up to 16:30; the display (with one household's display credential) must show the price in
 * force, the schedule announced at the cut-off as a chart, the household's own day, then a new
 * price without a reload when the region's clock moves; the dashboard must draw its charts from
 * the API; when its link to the broker drops, the display must say so, and when time runs past
 * the price's validTo with nothing newer (the browser's clock moved on), that it has expired. Screenshots go to
 * test-output/screenshots (ignored by git).
 */
const HOMES = ['MAC000002', 'MAC000003', 'MAC000004'];
const SHOTS = path.join(REPO_ROOT, 'test-output', 'screenshots');

describe('web pages in Chromium', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;
  let browser: Browser;
  // The display reaches the broker's WebSocket listener through a link the test can cut.
  let link: Awaited<ReturnType<typeof startTcpProxy>>;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium();
    db = await createTestDatabase({ empty: true });
    const wsListener = { host: '127.0.0.1', port: 0 };
    link = await startTcpProxy(wsListener);
    platform = await startPlatformProcess({
      DATABASE_URL: db.url,
      MQTT_MAX_PUBLISH_RATE: '100000',
      PUBLIC_MQTT_WS_URL: `ws://127.0.0.1:${link.port}/mqtt`,
    });
    wsListener.port = platform.ports.ws;
  }, 300_000);

  afterAll(async () => {
    await link?.close();
    await browser?.close();
    await platform?.stop();
    await db?.drop();
  });

  it('shows the price in force, the schedule, the household’s day, and a new price without a reload; the dashboard charts real data', async () => {
    const api = restClient(platform.httpUrl, platform.adminKey);
    const pricing = {
      model: 'critical-peak-5',
      currency: 'GBP',
      levelPrices: ['0.0399', '0.1176', '0.1499', '0.3000', '0.6720'],
      capacityKw: 2,
      thresholds: [0.5, 0.7, 0.85, 1.0],
      fallbackPrice: '0.0399',
      referencePrice: '0.14228',
    };
    await api.post('/v1/regions', { id: 'london', name: 'London', timezone: 'Europe/London', pricing });
    const slots = new Map<string, HouseholdSlot[]>();
    for await (const slot of readLondonHouseholds({ households: (id) => HOMES.includes(id) }))
      slots.set(slot.lclId, [...(slots.get(slot.lclId) ?? []), slot]);
    const meters = new Map<string, mqtt.MqttClient>();
    for (const id of HOMES) {
      const { body } = await api.post('/v1/meters', { id, regionId: 'london' });
      meters.set(
        id,
        await mqtt.connectAsync(platform.mqttUrl, { clientId: id, username: id, password: body.mqtt.password, reconnectPeriod: 0 }),
      );
    }
    const send = (until: number) =>
      Promise.all(
        HOMES.map((id) =>
          meters.get(id)!.publishAsync(
            `meters/${id}/readings`,
            JSON.stringify({
              readings: slots
                .get(id)!
                .filter((s) => s.slotStart < until && s.slotStart >= until - 17 * 1_800_000 * 2)
                .map((s) => slotToReading(s)),
            }),
            { qos: 1 },
          ),
        ),
      );
    await send(Date.UTC(2013, 11, 2, 16, 30)); // up to 16:30: past the cut-off, so the 3rd is scheduled
    await expectEventually(
      async () =>
        (await api.get('/v1/regions/london/tariffs?from=2013-12-03T00:00:00Z&to=2013-12-04T00:00:00Z')).body.items?.length === 48
          ? true
          : undefined,
      { what: 'the 3rd scheduled' },
    );
    const display = (await api.post(`/v1/meters/${HOMES[0]}/display-credentials`, {})).body.mqtt;

    const page = await browser.newPage({ viewport: { width: 390, height: 844 } }); // a phone
    await page.goto(
      `${platform.httpUrl}/display/london?username=${encodeURIComponent(display.username)}&password=${encodeURIComponent(display.password)}&meter=${HOMES[0]}`,
    );
    await page.waitForFunction(() => document.getElementById('price')?.dataset.validFrom === '2013-12-02T16:30:00.000Z');
    // Day 1 had no schedule: the fallback, said as such, with the precision the tariff has.
    expect(await page.textContent('#price')).toBe('0.0399');
    expect(await page.textContent('#level')).toContain('Fallback');
    // Coloured by its level (the fallback is announced at level 3, yellow).
    expect(await page.$eval('#price', (el) => getComputedStyle(el).color)).toBe('rgb(234, 179, 8)');
    await page.waitForFunction(() => document.querySelectorAll('#forecast div').length >= 48);
    expect(await page.textContent('#schedule-title')).toContain('Schedule announced');
    const levels = await page.$$eval('#forecast div', (bars) => bars.map((b) => Number((b as HTMLElement).dataset.level)));
    expect(levels.every((l) => l >= 1 && l <= 5)).toBe(true);
    await page.waitForSelector('#household', { state: 'visible' });
    expect(await page.textContent('#household')).toMatch(
      /Used [\d.]+ kWh for [\d.]+ GBP \(flat tariff: [\d.]+\)Last 30 min: [\d.]+ kWh for [\d.]+ GBP/,
    );
    await page.screenshot({ path: path.join(SHOTS, 'display-fallback.png'), fullPage: true });

    // The region's clock moves on (the next half hour's readings): a new price, no reload.
    await Promise.all(
      HOMES.map((id) =>
        meters
          .get(id)!
          .publishAsync(
            `meters/${id}/readings`,
            JSON.stringify(slotToReading(slots.get(id)!.find((s) => s.slotStart === Date.UTC(2013, 11, 2, 16, 30))!)),
            { qos: 1 },
          ),
      ),
    );
    await page.waitForFunction(() => document.getElementById('price')?.dataset.validFrom === '2013-12-02T17:00:00.000Z');
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);
    await page.screenshot({ path: path.join(SHOTS, 'display-next-interval.png'), fullPage: true });

    // The link to the broker drops: the display says it is offline and that its price may be
    // out of date, keeps the last one it had; when the link is back it is live again.
    link.pause();
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('offline'));
    expect(await page.textContent('#status')).toContain('the price shown may be out of date');
    expect(await page.$eval('main', (el) => el.classList.contains('offline'))).toBe(true);
    expect(await page.$eval('#price', (el) => (el as HTMLElement).dataset.validFrom)).toBe('2013-12-02T17:00:00.000Z');
    await page.screenshot({ path: path.join(SHOTS, 'display-offline.png'), fullPage: true });
    link.resume();
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('live'), undefined, { timeout: 20_000 });
    expect(await page.$eval('main', (el) => el.classList.contains('offline'))).toBe(false);

    // A replay's prices are years behind this clock, yet in force: the display reads the region's time.
    expect(await page.$eval('#price', (el) => (el as HTMLElement).dataset.state)).toBe('in-force');
    // Time passes with no newer price (the platform stopped announcing): 17:00's price, valid to
    // 17:30 in the region's time, is shown as expired — greyed, said so — not as in force.
    await page.clock.setFixedTime(Date.now() + 31 * 60_000);
    await page.waitForFunction(() => document.getElementById('price')?.dataset.state === 'expired', undefined, { timeout: 5_000 });
    expect(await page.textContent('#level')).toMatch(/^Expired: this price was valid until .+ and no newer price has arrived$/);
    expect(await page.$eval('main', (el) => el.classList.contains('expired'))).toBe(true);
    expect(await page.textContent('#left')).toMatch(/^expired \d+ min ago$/);
    await page.screenshot({ path: path.join(SHOTS, 'display-expired.png'), fullPage: true });
    await page.clock.setFixedTime(Date.now());
    await page.waitForFunction(() => document.getElementById('price')?.dataset.state === 'in-force', undefined, { timeout: 5_000 });

    // The dashboard draws from the API: the energy chart, the forecast against actual, the schedule
    // announced ahead, the fleet, and the households' bills against the shadow bill.
    const dash = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const window2 = { from: '2013-12-02T00:00:00.000Z', to: '2013-12-04T00:00:00.000Z' };
    await dash.goto(
      `${platform.httpUrl}/dashboard?key=${encodeURIComponent(platform.adminKey)}&region=london&from=${window2.from}&to=${window2.to}`,
    );
    const points = async (id: string, dataset = 0) => ((await chartData(dash, id))?.[dataset] ?? []).filter((v) => v !== null).length;
    await dash.waitForFunction(
      () =>
        document.getElementById('k-due')?.textContent !== '–' &&
        document.getElementById('schedule-title')?.textContent !== 'Schedule ahead',
      undefined,
      { timeout: 20_000 },
    );
    expect(await points('energy')).toBeGreaterThan(30);
    // The 3rd was forecast at the cut-off on the 2nd: 48 half hours of forecast demand, none measured yet.
    expect(await points('forecast', 0)).toBe(48);
    // The interval in force (17:00 on the 2nd) and every announced one after it: the 3rd's 48 and the rest of the 2nd on the fallback are not announced prices.
    const announced = (await api.get(`/v1/regions/london/tariffs?from=2013-12-02T17:00:00Z&to=2013-12-04T17:00:00Z&limit=1000`)).body.items
      .length;
    expect(await points('schedule')).toBe(announced);
    expect(await dash.textContent('#schedule-title')).toBe(`Schedule ahead: ${announced} intervals announced`);
    expect(await dash.textContent('#k-online')).toBe('3 / 3');
    // The alerts card lists what GET /v1/regions/{id}/alerts says holds, in its order.
    const conditions = (await api.get('/v1/regions/london/alerts')).body;
    expect(conditions.fleet).toMatchObject({ devices: 3, online: 3 });
    const listed = await dash.$$eval('#alerts li', (lis) => lis.map((li) => li.textContent ?? ''));
    expect(listed).toEqual(
      conditions.alerts.length === 0
        ? ['No alert condition holds']
        : conditions.alerts.map((a: { alert: string }) => expect.stringContaining(`(${a.alert})`)),
    );
    // The bills KPI is the sum of the households' bills the API computes for the same window.
    const bills = (await api.get(`/v1/regions/london/bills?from=${window2.from}&to=${window2.to}&limit=100`)).body.items as {
      due: string;
      shadowTotal: string;
    }[];
    expect(bills).toHaveLength(3);
    expect(await dash.textContent('#k-due')).toBe(`${bills.reduce((s, b) => s + Number(b.due), 0).toFixed(2)} GBP`);
    expect(await dash.textContent('#k-shadow')).toBe(`${bills.reduce((s, b) => s + Number(b.shadowTotal), 0).toFixed(2)} GBP`);
    expect(await points('bills', 0)).toBe(1); // one cohort: these meters have none
    await dash.screenshot({ path: path.join(SHOTS, 'dashboard.png'), fullPage: true });
    for (const client of meters.values()) await client.endAsync();
  }, 120_000);
});
