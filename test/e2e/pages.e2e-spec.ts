import { mkdirSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import type { Browser } from 'playwright-core';
import { readLondonHouseholds, slotToReading, type HouseholdSlot } from '@wattline/datasets';
import { REPO_ROOT, createTestDatabase, expectEventually, launchChromium, restClient, startPlatformProcess, type PlatformProcess } from '@wattline/testing';

/**
 * The household display and the analysts' dashboard in a real browser: Debian's Chromium,
 * headless, driven by playwright-core. Three real London households report 2 December 2013
 * up to 16:30; the display (with one household's display credential) must show the price in
 * force, the schedule announced at the cut-off as a chart, the household's own day, then a new
 * price without a reload when the region's clock moves; the dashboard must draw its charts from
 * the API. Screenshots go to test-output/screenshots (ignored by git).
 */
const HOMES = ['MAC000002', 'MAC000003', 'MAC000004'];
const SHOTS = path.join(REPO_ROOT, 'test-output', 'screenshots');

describe('web pages in Chromium', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium();
    db = await createTestDatabase({ empty: true });
    platform = await startPlatformProcess({ DATABASE_URL: db.url, MQTT_MAX_PUBLISH_RATE: '100000' });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    await db?.drop();
  });

  it('shows the price in force, the schedule, the household’s day, and a new price without a reload; the dashboard charts real data', async () => {
    const api = restClient(platform.httpUrl, platform.adminKey);
    const pricing = { model: 'critical-peak-5', currency: 'GBP', levelPrices: ['0.0399', '0.1176', '0.1499', '0.3000', '0.6720'], capacityKw: 2, thresholds: [0.5, 0.7, 0.85, 1.0], fallbackPrice: '0.0399', referencePrice: '0.14228' };
    await api.post('/v1/regions', { id: 'london', name: 'London', timezone: 'Europe/London', pricing });
    const slots = new Map<string, HouseholdSlot[]>();
    for await (const slot of readLondonHouseholds({ households: (id) => HOMES.includes(id) })) slots.set(slot.lclId, [...(slots.get(slot.lclId) ?? []), slot]);
    const meters = new Map<string, mqtt.MqttClient>();
    for (const id of HOMES) {
      const { body } = await api.post('/v1/meters', { id, regionId: 'london' });
      meters.set(id, await mqtt.connectAsync(platform.mqttUrl, { clientId: id, username: id, password: body.mqtt.password, reconnectPeriod: 0 }));
    }
    const send = (until: number) =>
      Promise.all(HOMES.map((id) => meters.get(id)!.publishAsync(`meters/${id}/readings`, JSON.stringify({ readings: slots.get(id)!.filter((s) => s.slotStart < until && s.slotStart >= until - 17 * 1_800_000 * 2).map((s) => slotToReading(s)) }), { qos: 1 })));
    await send(Date.UTC(2013, 11, 2, 16, 30)); // up to 16:30: past the cut-off, so the 3rd is scheduled
    await expectEventually(async () => ((await api.get('/v1/regions/london/tariffs?from=2013-12-03T00:00:00Z&to=2013-12-04T00:00:00Z')).body.items?.length === 48 ? true : undefined), { what: 'the 3rd scheduled' });
    const display = (await api.post(`/v1/meters/${HOMES[0]}/display-credentials`, {})).body.mqtt;

    const page = await browser.newPage({ viewport: { width: 390, height: 844 } }); // a phone
    await page.goto(`${platform.httpUrl}/display/london?username=${encodeURIComponent(display.username)}&password=${encodeURIComponent(display.password)}&meter=${HOMES[0]}`);
    await page.waitForFunction(() => document.getElementById('price')?.dataset.validFrom === '2013-12-02T16:30:00.000Z');
    // Day 1 had no schedule: the fallback, said as such, with the precision the tariff has.
    expect(await page.textContent('#price')).toBe('0.0399');
    expect(await page.textContent('#level')).toContain('Fallback');
    await page.waitForFunction(() => document.querySelectorAll('#forecast div').length >= 48);
    expect(await page.textContent('#schedule-title')).toContain('Schedule announced');
    const levels = await page.$$eval('#forecast div', (bars) => bars.map((b) => Number((b as HTMLElement).dataset.level)));
    expect(levels.every((l) => l >= 1 && l <= 5)).toBe(true);
    await page.waitForSelector('#household', { state: 'visible' });
    expect(await page.textContent('#household')).toMatch(/Used [\d.]+ kWh for [\d.]+ GBP \(flat tariff: [\d.]+\)/);
    await page.screenshot({ path: path.join(SHOTS, 'display-fallback.png'), fullPage: true });

    // The region's clock moves on (the next half hour's readings): a new price, no reload.
    await Promise.all(HOMES.map((id) => meters.get(id)!.publishAsync(`meters/${id}/readings`, JSON.stringify(slotToReading(slots.get(id)!.find((s) => s.slotStart === Date.UTC(2013, 11, 2, 16, 30))!)), { qos: 1 })));
    await page.waitForFunction(() => document.getElementById('price')?.dataset.validFrom === '2013-12-02T17:00:00.000Z');
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);
    await page.screenshot({ path: path.join(SHOTS, 'display-next-interval.png'), fullPage: true });

    // The dashboard draws from the API.
    const dash = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await dash.goto(`${platform.httpUrl}/dashboard?key=${encodeURIComponent(platform.adminKey)}&region=london`);
    await dash.waitForFunction(() => {
      const chart = (window as unknown as { Chart: { getChart(el: HTMLElement | null): { data: { datasets: { data: unknown[] }[] } } | undefined } }).Chart.getChart(document.getElementById('energy'));
      return (chart?.data.datasets[0]?.data.length ?? 0) > 30;
    }, undefined, { timeout: 20_000 });
    await dash.screenshot({ path: path.join(SHOTS, 'dashboard.png'), fullPage: true });
    for (const client of meters.values()) await client.endAsync();
  }, 120_000);
});
