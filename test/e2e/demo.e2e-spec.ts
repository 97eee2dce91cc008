import path from 'node:path';
import { readLondonHouseholds } from '@wattline/datasets';
import {
  REPO_ROOT,
  createTestDatabase,
  expectEventually,
  chartData,
  launchChromium,
  regionTotals,
  restClient,
  startPlatformProcess,
  type PlatformProcess,
} from '@wattline/testing';

/**
 * `npm run demo` as a user runs it, shortened: the built demo (platform and simulator in one
 * process) replays LCL's trial — 13 dToU homes on the real 2013 schedule, 66 Std homes on the
 * flat 14.228p — for six days, and the dashboard link it prints, opened in Chromium, charts
 * the tariff's effect from those real cohorts with its interval: the same estimate the API gives.
 */
const FROM = Date.UTC(2013, 11, 2);
/** 2–7 December: the first days whose schedule has both a High period (the 4th and 6th) and Low ones (the 6th and 7th). */
const SLOTS = 48 * 6;

describe('the demo', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let demo: PlatformProcess;

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    demo = await startPlatformProcess(
      {
        DATABASE_URL: db.url,
        SIM_FROM: new Date(FROM).toISOString(),
        SIM_SLOTS: String(SLOTS),
        SIM_SLOT_MS: '30',
        LOG_LEVEL: 'warn',
      },
      { entry: 'demo.js', readyLine: /demo: replay finished/, timeoutMs: 180_000 },
    );
  }, 200_000);

  afterAll(async () => {
    await demo?.stop();
    await db?.drop();
  });

  it('replays the trial’s two cohorts, and the dashboard it links to charts their effect with its interval', async () => {
    const output = demo.output();
    expect(output).toContain('simulator: 79 households (79 real LCL homes replayed)');
    // Every half hour the data has for the window reaches the store, none twice.
    let expected = 0;
    for await (const slot of readLondonHouseholds()) if (slot.slotStart >= FROM && slot.slotStart < FROM + SLOTS * 1_800_000) expected += 1;
    const api = restClient(demo.httpUrl, demo.adminKey);
    const range = `from=${new Date(FROM).toISOString()}&to=${new Date(FROM + SLOTS * 1_800_000).toISOString()}`;
    await expectEventually(async () => ((await regionTotals(api, 'london', range)).readings === expected ? true : undefined), {
      what: `${expected} readings stored`,
      timeoutMs: 60_000,
    });
    expect((await api.get('/v1/regions/london')).body).toMatchObject({ defaultTariff: 'dtou', tariffs: ['dtou', 'flat'] });

    // The link the demo printed, as a user would open it.
    const link = /analysts' dashboard (http:\/\/localhost:\d+\/dashboard\?\S+)/.exec(output)?.[1];
    expect(link).toContain(`&control=Std&${range}`);
    const response = (await api.get(`/v1/regions/london/response?${range}&control=Std`)).body;
    expect(response).toMatchObject({ tariff: 'dtou', households: { treatment: 13, control: 66 } });
    const effects = response.levels.filter((l: { effect: unknown }) => l.effect) as {
      level: number;
      effect: { pct: number; ci95Pct: number[] };
    }[];
    // The dToU schedule's Low and High bands, each against Normal.
    expect(effects.length).toBeGreaterThanOrEqual(2);
    const browser = await launchChromium();
    try {
      const dash = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await dash.goto(link!.replace('localhost', '127.0.0.1'));
      await dash.waitForFunction(
        () =>
          /households on tariff dtou/.test(document.getElementById('response-note')?.textContent ?? '') &&
          document.getElementById('k-due')?.textContent !== '–',
        undefined,
        { timeout: 60_000 },
      );
      const drawn = await chartData(dash, 'response');
      // Each estimate with its interval; the interval holds the estimate.
      expect(drawn).toEqual([effects.map((l) => l.effect.pct), effects.map((l) => l.effect.ci95Pct)]);
      for (const l of effects) expect(l.effect.ci95Pct[0] <= l.effect.pct && l.effect.pct <= l.effect.ci95Pct[1]).toBe(true);
      expect(await dash.textContent('#response-note')).toContain('13 households on tariff dtou against 66 in cohort "Std"');
      expect(await dash.$$eval('#tariff option', (options) => options.map((o) => o.textContent))).toEqual(['dtou (default)', 'flat']);
      expect(await dash.textContent('#k-online')).toBe('79 / 79');
      await dash.screenshot({ path: path.join(REPO_ROOT, 'test-output', 'screenshots', 'demo-dashboard.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  }, 150_000);
});
