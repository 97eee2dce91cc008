import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Decimal from 'decimal.js';
import mqtt from 'mqtt';
import { AUSGRID_SOLAR_HOME_CSV, DATA_DIR, LONDON_HOUSEHOLDS_CSV } from '@wattline/datasets';
import {
  REPO_ROOT,
  createTestDatabase,
  expectEventually,
  chartData,
  launchChromium,
  restClient,
  startPlatformProcess,
  type PlatformProcess,
} from '@wattline/testing';

/**
 * Bills on the real data, checked against computations made here from the CSVs with decimal
 * arithmetic on their text (no platform code): LCL's trial on two tariffs of one region — the 13
 * dToU households on the real 2013 schedule (the default tariff), the 66 others on the flat
 * 14.228p — each billed at its own tariff to the penny; the shadow bill and the
 * household-protection cap, day by day; a Sydney solar home's export credited at the feed-in
 * price with a standing charge and tax apart.
 */
const FROM = '2013-12-02T00:00:00Z';
const TO = '2013-12-30T00:00:00Z';
/** A bill's window at arbitrary minutes: part days at both ends. */
const WINDOW = { from: '2013-12-02T07:13:00Z', to: '2013-12-29T18:47:00Z' };

describe('bills on the real data', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;
  let api: ReturnType<typeof restClient>;
  /** The 79 LCL households by id: tariff group and half hours (kWh as text, to the milliwatt-hour). */
  const everyone = new Map<string, { group: string; slots: { time: string; kwh: Decimal }[] }>();
  const pence = new Map<string, { p: Decimal; band: string }>();

  const meter = async (id: string, regionId: string, cohort?: string, extra: Record<string, string> = {}) => {
    const { body } = await api.post('/v1/meters', { id, regionId, ...(cohort ? { cohort } : {}), ...extra });
    return mqtt.connectAsync(platform.mqttUrl, { clientId: id, username: id, password: body.mqtt.password, reconnectPeriod: 0 });
  };
  const sendAll = async (client: mqtt.MqttClient, id: string, readings: object[]) => {
    for (let i = 0; i < readings.length; i += 500)
      await client.publishAsync(`meters/${id}/readings`, JSON.stringify({ readings: readings.slice(i, i + 500) }), { qos: 1 });
  };

  /** The SUBACK's return codes (mqtt.js rejects a SUBACK with any refusal in it, carrying the packet). */
  const granted = (client: mqtt.MqttClient, filters: string[]) =>
    client.subscribeAsync(filters, { qos: 1 }).then(
      (grants) => grants.map((g) => g.qos),
      (error: { packet?: { granted: number[] } }) => {
        if (!error.packet) throw error;
        return error.packet.granted;
      },
    );

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    platform = await startPlatformProcess({
      DATABASE_URL: db.url,
      MQTT_MAX_PUBLISH_RATE: '100000',
      API_COMPUTE_THREADS: process.env.API_COMPUTE_THREADS,
    });
    api = restClient(platform.httpUrl, platform.adminKey);
  });

  afterAll(async () => {
    await platform?.stop();
    await db?.drop();
  });

  it('runs LCL’s trial on two tariffs: each cohort’s displays get only their tariff’s prices, and each bill is at the household’s own tariff to the penny in a window of arbitrary minutes', async () => {
    // Independent: the tariff CSV's pence, and each household's half hours, as text.
    for (const line of readFileSync(path.join(DATA_DIR, 'lcl_dtou_tariff_2013.csv'), 'utf8').trim().split('\n').slice(1)) {
      const [time, band, p] = line.split(',');
      pence.set(time, { p: new Decimal(p), band });
    }
    for (const line of readFileSync(path.join(DATA_DIR, LONDON_HOUSEHOLDS_CSV), 'utf8').trim().split('\n').slice(1)) {
      const [id, group, , , time, kwh] = line.split(',');
      // A meter reports to the milliwatt-hour (the source has float noise such as 1.0039999 kWh).
      if (!everyone.has(id)) everyone.set(id, { group, slots: [] });
      everyone.get(id)!.slots.push({ time, kwh: new Decimal(kwh).toDecimalPlaces(6) });
    }
    const onTou = [...everyone].filter(([, h]) => h.group === 'ToU').map(([id]) => id);
    expect([onTou.length, everyone.size]).toEqual([13, 79]);

    // The region's default tariff is LCL's dToU (the real 2013 schedule, imported); its control tariff the flat 14.228p.
    const csv = readFileSync(path.join(DATA_DIR, 'lcl_dtou_tariff_2013.csv'), 'utf8');
    const dtou = { model: 'schedule', currency: 'GBP', fallbackPrice: '0.1176', referencePrice: '0.14228', protectionCapPerYear: '0.40' };
    const flat = { model: 'flat', currency: 'GBP', price: '0.14228', referencePrice: '0.14228' };
    expect(
      (await api.post('/v1/regions', { id: 'lcl', name: 'LCL', timezone: 'Europe/London', tariff: 'dtou', pricing: dtou })).status,
    ).toBe(201);
    expect(
      (await api.put('/v1/regions/lcl/pricing', { tariff: 'flat', effectiveFrom: '2013-12-01T00:00:00Z', pricing: flat })).body,
    ).toMatchObject({ tariff: 'flat', version: 1 });
    expect((await api.get('/v1/regions/lcl')).body).toMatchObject({ defaultTariff: 'dtou', tariffs: ['dtou', 'flat'] });
    const upload = await fetch(
      `${platform.httpUrl}/v1/regions/lcl/schedules?timeColumn=timestamp_gmt&priceColumn=unit_rate_p_per_kwh&bandColumn=tariff_band&divisor=100`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${platform.adminKey}`, 'content-type': 'text/csv' },
        body: csv,
      },
    );
    expect(upload.status).toBe(201);
    // The region's clock starts the day before, so 2 December has its schedule.
    const clock = await meter('lcl-clock', 'lcl');
    await clock.publishAsync('meters/lcl-clock/readings', JSON.stringify({ ts: '2013-12-01T12:00:00Z', periodS: 1800, consumptionWh: 0 }), {
      qos: 1,
    });
    await expectEventually(async () => ((await api.get('/v1/regions/lcl/tariffs/current')).status === 200 ? true : undefined), {
      what: 'the clock',
    });
    await clock.endAsync();
    // All 79 households, each in its LCL tariff group as its cohort and on that group's tariff.
    const ids = [...everyone.keys()];
    for (let i = 0; i < ids.length; i += 10) {
      await Promise.all(
        ids.slice(i, i + 10).map(async (id) => {
          const { group } = everyone.get(id)!;
          const client = await meter(id, 'lcl', group, group === 'Std' ? { tariff: 'flat' } : {});
          await sendAll(
            client,
            id,
            everyone.get(id)!.slots.map((s) => ({
              ts: new Date(Date.parse(`${s.time.replace(' ', 'T')}Z`) + 1_800_000).toISOString(),
              periodS: 1800,
              consumptionWh: s.kwh.times(1000).toNumber(),
            })),
          );
          await client.endAsync();
        }),
      );
    }
    for (const tariff of ['dtou', 'flat'])
      await expectEventually(
        async () =>
          (await api.get(`/v1/regions/lcl/tariffs?from=${FROM}&to=${TO}&limit=2000&tariff=${tariff}`)).body.items.length === 28 * 48
            ? true
            : undefined,
        { what: `every half hour of ${tariff} priced`, timeoutMs: 60_000 },
      );
    expect((await api.get(`/v1/regions/lcl/tariffs?from=${FROM}&to=${TO}&tariff=flat&limit=5`)).body.items[0]).toMatchObject({
      tariff: 'flat',
      price: '0.14228',
    });

    // Displays and meters of each cohort: their own tariff's retained prices, and no other's.
    const std = ids.find((id) => everyone.get(id)!.group === 'Std')!;
    const topics = { dtou: ['prices/lcl/current', 'prices/lcl/forecast'], flat: ['prices/lcl/flat/current', 'prices/lcl/flat/forecast'] };
    for (const [home, own, other] of [
      [onTou[0], 'dtou', 'flat'],
      [std, 'flat', 'dtou'],
    ] as const) {
      const credential = (await api.post(`/v1/meters/${home}/display-credentials`, {})).body;
      // The default tariff's two topics; another tariff's whole tree (the contract's `prices/{region}/{tariff}/#`).
      expect(credential.subscribe).toEqual([...(own === 'dtou' ? topics.dtou : ['prices/lcl/flat/#']), `households/${home}/#`]);
      const display = await mqtt.connectAsync(platform.mqttUrl, {
        clientId: `${credential.mqtt.username}-1`,
        username: credential.mqtt.username,
        password: credential.mqtt.password,
        reconnectPeriod: 0,
      });
      const received: { topic: string; tariff: string }[] = [];
      display.on('message', (topic, payload) => {
        const body = JSON.parse(payload.toString());
        received.push({ topic, tariff: body.tariff ?? body.intervals?.[0]?.tariff });
      });
      expect(await granted(display, [...topics[own], ...topics[other], 'prices/lcl/#'])).toEqual([1, 1, 128, 128, 128]);
      await expectEventually(async () => (new Set(received.map((r) => r.topic)).size >= 2 ? true : undefined), {
        what: `${own}'s retained prices`,
      });
      expect([...new Set(received.map((r) => `${r.topic} ${r.tariff}`))].sort()).toEqual(topics[own].map((topic) => `${topic} ${own}`));
      await display.endAsync();
    }
    const stdMeter = (await api.post('/v1/meters', { regionId: 'lcl', tariff: 'flat' })).body;
    expect(stdMeter).toMatchObject({ tariff: 'flat', mqtt: { topics: { currentPrice: 'prices/lcl/flat/current' } } });
    const onFlat = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: stdMeter.id,
      username: stdMeter.id,
      password: stdMeter.mqtt.password,
      reconnectPeriod: 0,
    });
    expect(await granted(onFlat, ['prices/lcl/flat/#', 'prices/lcl/current'])).toEqual([1, 128]);
    await onFlat.endAsync();

    // Bills over a window starting and ending at arbitrary minutes: each interval starting in it is
    // billed, the part days' protection refund pro rata by time (pages: the README's rule).
    const windowFrom = Date.parse(WINDOW.from);
    const windowTo = Date.parse(WINDOW.to);
    const DAY_MS = 86_400_000;
    const verified = new Map<string, Record<string, any>>();
    for (const id of ids) {
      const { group, slots } = everyone.get(id)!;
      const priceOf = (time: string) => (group === 'ToU' ? pence.get(time)!.p.dividedBy(100) : new Decimal('0.14228'));
      const start = (s: { time: string }) => Date.parse(`${s.time.replace(' ', 'T')}Z`);
      const inWindow = slots.filter((s) => start(s) >= windowFrom && start(s) < windowTo);
      const bill = await expectEventually(
        async () => {
          const b = (await api.get(`/v1/meters/${id}/bill?from=${WINDOW.from}&to=${WINDOW.to}&groupBy=day`)).body;
          return Math.abs(b.consumptionWh - inWindow.reduce((s, x) => s + x.kwh.toNumber() * 1000, 0)) < 1e-6 ? b : undefined;
        },
        { what: `${id}'s readings stored` },
      );
      // Energy at the household's own tariff, computed here: Σ kWh × price.
      const expected = inWindow.reduce((sum, s) => sum.plus(s.kwh.times(priceOf(s.time))), new Decimal(0));
      expect([id, new Decimal(bill.energyCharge).toFixed(2)]).toEqual([id, expected.toFixed(2)]);
      expect(bill).toMatchObject({ fallbackWh: 0, tax: '0.0000', standingCharge: '0.0000', exportCredit: '0.0000' });
      // The shadow bill: the same energy at LCL's flat 14.228p (the control households' own bill).
      const shadow = inWindow.reduce((sum, s) => sum.plus(s.kwh.times('0.14228')), new Decimal(0));
      expect([id, new Decimal(bill.shadow.total).toFixed(4)]).toEqual([id, shadow.toFixed(4)]);
      if (group === 'Std') {
        expect([id, bill.protection]).toEqual([id, null]);
        expect(new Decimal(bill.total).toFixed(2)).toBe(shadow.toFixed(2));
      } else {
        // Protection: each whole day's excess over the shadow bill refunded while the year's £0.40 lasts, a part day's pro rata.
        let left = new Decimal('0.40');
        let refund = new Decimal(0);
        for (const day of [...new Set(slots.map((s) => s.time.slice(0, 10)))].sort()) {
          const ofDay = slots.filter((s) => s.time.startsWith(day));
          const excess = Decimal.max(
            0,
            ofDay.reduce((sum, s) => sum.plus(s.kwh.times(priceOf(s.time))).minus(s.kwh.times('0.14228')), new Decimal(0)),
          );
          const r = Decimal.min(excess, left);
          left = left.minus(r);
          const dayStart = Date.parse(`${day}T00:00:00Z`);
          const share = Math.max(0, Math.min(dayStart + DAY_MS, windowTo) - Math.max(dayStart, windowFrom)) / DAY_MS;
          refund = refund.plus(r.times(share));
        }
        expect([id, new Decimal(bill.protection.refund).toFixed(2)]).toEqual([id, refund.toFixed(2)]);
      }
      expect(new Decimal(bill.due).equals(new Decimal(bill.total).minus(bill.protection?.refund ?? 0))).toBe(true);
      expect(bill.groups).toHaveLength(28);
      verified.set(id, bill);
    }
    // The region's bills, 25 households a page: every meter once (79 homes, the clock meter and the
    // late one), each household's line equal to its own bill verified above.
    const lines = new Map<string, Record<string, any>>();
    let cursor = '';
    let pages = 0;
    do {
      const page = (
        await api.get(
          `/v1/regions/lcl/bills?from=${WINDOW.from}&to=${WINDOW.to}&limit=25${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        )
      ).body;
      expect(page.items.length).toBeLessThanOrEqual(25);
      for (const line of page.items) lines.set(line.meterId, line);
      cursor = page.nextCursor ?? '';
      pages += 1;
    } while (cursor);
    expect([lines.size, pages]).toEqual([81, 4]);
    for (const [id, bill] of verified) {
      expect(lines.get(id)).toEqual({
        meterId: id,
        cohort: everyone.get(id)!.group,
        currency: 'GBP',
        // The household's part of the window: all of it (no one moved in or out).
        from: new Date(WINDOW.from).toISOString(),
        to: new Date(WINDOW.to).toISOString(),
        consumptionWh: bill.consumptionWh,
        generationWh: bill.generationWh,
        energyCharge: bill.energyCharge,
        standingCharge: bill.standingCharge,
        tax: bill.tax,
        exportCredit: bill.exportCredit,
        total: bill.total,
        fallbackWh: bill.fallbackWh,
        shadowTotal: bill.shadow.total,
        shadowDifference: bill.shadow.difference,
        protectionRefund: bill.protection?.refund ?? null,
        due: bill.due,
      });
    }
    const regionCsv = await api.get(`/v1/regions/lcl/bills?from=${FROM}&to=${TO}&limit=100`, { accept: 'text/csv' });
    expect(regionCsv.text.trim().split('\n')).toHaveLength(82);
    expect(regionCsv.text.split('\n')[0].split(',')).toEqual(
      expect.arrayContaining(['meterId', 'cohort', 'due', 'shadowTotal', 'protectionRefund']),
    );
    expect((await api.get(`/v1/regions/lcl/bills?cursor=not-a-cursor`)).body).toMatchObject({ status: 400 });
    // As CSV, one row per day.
    const csvBill = await api.get(`/v1/meters/${onTou[0]}/bill?from=${FROM}&to=${TO}&groupBy=day`, { accept: 'text/csv' });
    expect(csvBill.text.trim().split('\n')).toHaveLength(29);
    expect(csvBill.text.split('\n')[0].split(',')).toEqual(
      expect.arrayContaining(['period', 'energyCharge', 'total', 'shadowTotal', 'protectionRefund']),
    );
  }, 180_000);

  it('estimates the dynamic tariff’s effect per price band by two-way fixed effects with a bootstrap interval, and charts it on the dashboard', async () => {
    const response = (await api.get(`/v1/regions/lcl/response?from=${FROM}&to=${TO}&control=Std`)).body;
    // Computed here from the CSVs. The panel is balanced (79 homes × 1,344 half hours), where the
    // household and interval fixed-effects estimate is exactly the difference in differences of
    // cell means: (ToU − Std at the band) − (ToU − Std at Normal).
    const LEVEL: Record<string, number> = { Low: 1, Normal: 3, High: 5 };
    const sums = new Map<string, { wh: Decimal; n: number; homes: Set<string> }>();
    for (const [id, { group, slots }] of everyone) {
      for (const s of slots) {
        if (s.time < '2013-12-02' || s.time >= '2013-12-30') continue;
        const key = `${LEVEL[pence.get(s.time)!.band]}/${group === 'Std'}`;
        const acc = sums.get(key) ?? { wh: new Decimal(0), n: 0, homes: new Set<string>() };
        acc.homes.add(id);
        sums.set(key, { wh: acc.wh.plus(s.kwh.times(1000)), n: acc.n + 1, homes: acc.homes });
      }
    }
    const mean = (level: number, control: boolean) => sums.get(`${level}/${control}`)!.wh.dividedBy(sums.get(`${level}/${control}`)!.n);
    const did = (level: number) =>
      mean(level, false)
        .minus(mean(level, true))
        .minus(mean(3, false).minus(mean(3, true)));
    // The clock meter has no cohort: on neither side.
    expect(response).toMatchObject({
      control: 'Std',
      treatment: null,
      tariff: 'dtou',
      baselineLevel: 3,
      households: { treatment: 13, control: 66 },
    });
    expect(response.observations).toBe(79 * 28 * 48);
    expect(response.levels.map((l: { level: number }) => l.level)).toEqual([1, 3, 5]);
    for (const l of response.levels) {
      expect(l.treatment).toMatchObject({ meters: 13, meterIntervals: sums.get(`${l.level}/false`)!.n });
      expect(l.control).toMatchObject({ meters: 66, meterIntervals: sums.get(`${l.level}/true`)!.n });
      expect(l.treatment.meanWh).toBeCloseTo(mean(l.level, false).toNumber(), 2);
      if (l.level === 3) {
        expect(l.effect).toBeNull();
        continue;
      }
      expect(l.effect.wh).toBeCloseTo(did(l.level).toNumber(), 2);
      expect(l.effect.ci95Wh[0]).toBeLessThan(l.effect.wh);
      expect(l.effect.ci95Wh[1]).toBeGreaterThan(l.effect.wh);
      expect(l.effect.pct).toBeCloseTo((100 * l.effect.wh) / (l.treatment.meanWh - l.effect.wh), 1);
    }
    console.log(
      `LCL tariff effect, 2-29 Dec 2013 (13 ToU vs 66 Std households, two-way FE, wild cluster bootstrap ${response.bootstrap.replications}): ${response.levels
        .filter((l: { effect: unknown }) => l.effect)
        .map(
          (l: { level: number; effect: { wh: number; pct: number; ci95Wh: number[]; ci95Pct: number[]; se: number; pValue: number } }) =>
            `level ${l.level}: ${l.effect.wh} Wh (${l.effect.pct} %), 95 % [${l.effect.ci95Wh.join(', ')}] Wh = [${l.effect.ci95Pct.join(', ')}] %, se ${l.effect.se}, p ${l.effect.pValue}`,
        )
        .join('; ')}`,
    );
    mkdirSync(path.join(REPO_ROOT, 'test-output'), { recursive: true });
    writeFileSync(path.join(REPO_ROOT, 'test-output', 'lcl-response.json'), JSON.stringify(response, null, 2));
    // A named treatment cohort gives the same; a cohort with no households gives no estimate.
    const named = (await api.get(`/v1/regions/lcl/response?from=${FROM}&to=${TO}&control=Std&treatment=ToU`)).body;
    expect(named.levels).toEqual(response.levels);
    const nobody = (await api.get(`/v1/regions/lcl/response?from=${FROM}&to=${TO}&control=Std&treatment=nobody`)).body;
    expect(nobody.households).toEqual({ treatment: 0, control: 66 });
    expect(nobody.levels.every((l: { effect: unknown }) => l.effect === null)).toBe(true);

    // The dashboard charts the same estimate with its interval, in a real browser.
    const browser = await launchChromium();
    try {
      const dash = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await dash.goto(
        `${platform.httpUrl}/dashboard?key=${encodeURIComponent(platform.adminKey)}&region=lcl&from=${FROM}&to=${TO}&control=Std`,
      );
      // Every card drawn (the bills card too): nothing the page asked for is still computing when it closes.
      await dash.waitForFunction(
        () =>
          /households on tariff dtou/.test(document.getElementById('response-note')?.textContent ?? '') &&
          document.getElementById('k-due')?.textContent !== '–',
        undefined,
        { timeout: 60_000 },
      );
      const drawn = await chartData(dash, 'response');
      const effects = response.levels.filter((l: { effect: unknown }) => l.effect);
      expect(drawn).toEqual([
        effects.map((l: { effect: { pct: number } }) => l.effect.pct),
        effects.map((l: { effect: { ci95Pct: number[] } }) => l.effect.ci95Pct),
      ]);
      expect(await dash.textContent('#response-note')).toContain('13 households on tariff dtou against 66 in cohort "Std"');
      await dash.screenshot({ path: path.join(REPO_ROOT, 'test-output', 'screenshots', 'dashboard-response.png'), fullPage: true });
      // The tariff picker: the region's default first; picking the control tariff charts its prices (the flat 14.228p).
      expect(await dash.$$eval('#tariff option', (options) => options.map((o) => o.textContent))).toEqual(['dtou (default)', 'flat']);
      // The energy chart's price line: the prices the picked tariff charged in the window.
      const charted = async () => [...new Set((await chartData(dash, 'energy'))?.[2].filter((v) => v !== null))].sort();
      const prices = async (tariff: string) =>
        [
          ...new Set(
            (await api.get(`/v1/regions/lcl/tariffs?from=${FROM}&to=${TO}&limit=2000&tariff=${tariff}`)).body.items.map(
              (t: { price: string }) => Number(t.price),
            ),
          ),
        ].sort();
      expect(await charted()).toEqual(await prices('dtou'));
      expect((await charted()).length).toBeGreaterThan(1); // Low, Normal and High
      await dash.selectOption('#tariff', 'flat');
      await dash.waitForFunction(() => /tariff flat/.test(document.getElementById('response-note')?.textContent ?? ''), undefined, {
        timeout: 60_000,
      });
      // One price all the time: the note says why there is no effect, rather than an empty chart.
      expect(await dash.textContent('#response-note')).toMatch(/^tariff flat has no price level besides its baseline/);
      expect(await charted()).toEqual([0.14228]);
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('credits a Sydney solar home’s export (its inverter’s generation) on its meter’s bill at the feed-in price, with a daily standing charge and tax apart', async () => {
    const pricing = {
      model: 'flat',
      currency: 'AUD',
      price: '0.30',
      taxRate: '0.10',
      feedInPrice: '0.08',
      standingChargePerDay: '1.00',
      referencePrice: '0.33',
    };
    await api.post('/v1/regions', { id: 'sydney', name: 'Sydney', timezone: 'Australia/Sydney', pricing });
    // 15-17 January 2012 (a summer week); the day billed is the 17th, priced at the cut-off on the 16th.
    const rows = readFileSync(path.join(DATA_DIR, AUSGRID_SOLAR_HOME_CSV), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    const days = rows.filter(([t]) => t >= '2012-01-15' && t < '2012-01-18');
    // As Ausgrid measured it: general consumption on the household's meter, gross generation on its
    // inverter's own channel. A second household that moved out (revoked) used the same energy.
    const client = await meter('ausgrid-12', 'sydney');
    const pv = await meter('ausgrid-12-pv', 'sydney', undefined, { kind: 'inverter', householdId: 'ausgrid-12' });
    const gone = await meter('sydney-gone', 'sydney');
    // Average kW over half an hour, as a meter reports it: to the milliwatt-hour (the file has float noise, 0.39799999999999996).
    const toWh = (kw: string) => new Decimal(kw).times(500).toDecimalPlaces(3);
    const ts = (t: string) => new Date(Date.parse(`${t.replace(' ', 'T')}+10:00`) + 1_800_000).toISOString();
    const consumption = days.map(([t, gc]) => ({ ts: ts(t), periodS: 1800, consumptionWh: toWh(gc).toNumber() }));
    await sendAll(client, 'ausgrid-12', consumption);
    await sendAll(gone, 'sydney-gone', consumption);
    await sendAll(
      pv,
      'ausgrid-12-pv',
      days.map(([t, , gg]) => ({ ts: ts(t), periodS: 1800, generationWh: toWh(gg).toNumber() })),
    );
    await Promise.all([client.endAsync(), pv.endAsync(), gone.endAsync()]);
    const the17th = days.filter(([t]) => t.startsWith('2012-01-17'));
    const from = new Date(Date.parse('2012-01-17T00:00:00+11:00')).toISOString();
    const to = new Date(Date.parse('2012-01-18T00:00:00+11:00')).toISOString();
    const bill = await expectEventually(
      async () => {
        const b = (await api.get(`/v1/meters/ausgrid-12/bill?from=${from}&to=${to}`)).body;
        return b.intervals?.length === 48 && b.fallbackWh === 0 && b.generationWh > 0 ? b : undefined;
      },
      { what: 'the 17th stored and priced' },
    );
    // Computed here: the half hours are AEST in the file, the region's days AEDT; the 17th local runs 23:00 to 23:00 AEST.
    const local = days.filter(
      ([t]) =>
        Date.parse(`${t.replace(' ', 'T')}+10:00`) >= Date.parse(from) && Date.parse(`${t.replace(' ', 'T')}+10:00`) < Date.parse(to),
    );
    expect(local).toHaveLength(48);
    const kwhIn = local.reduce((s, [, gc]) => s.plus(toWh(gc).dividedBy(1000)), new Decimal(0));
    const kwhOut = local.reduce((s, [, , gg]) => s.plus(toWh(gg).dividedBy(1000)), new Decimal(0));
    expect(kwhOut.greaterThan(0)).toBe(true);
    expect(new Decimal(bill.energyCharge).toFixed(4)).toBe(kwhIn.times('0.30').toFixed(4));
    expect(new Decimal(bill.exportCredit).toFixed(4)).toBe(kwhOut.times('0.08').toFixed(4));
    expect(bill.standingCharge).toBe('1.0000');
    expect(new Decimal(bill.tax).toFixed(4)).toBe(kwhIn.times('0.03').plus('0.10').toFixed(4));
    expect(new Decimal(bill.total).toFixed(4)).toBe(kwhIn.times('0.33').plus('1.10').minus(kwhOut.times('0.08')).toFixed(4));
    expect(bill.shadow.difference).toBe('0.0000'); // the reference tariff is the same flat price
    expect(the17th.length).toBe(48);

    // The inverter is on its household's bill, never billed apart (no second standing charge).
    expect((await api.get(`/v1/meters/ausgrid-12-pv/bill?from=${from}&to=${to}`)).body).toMatchObject({
      status: 409,
      detail: expect.stringContaining('/v1/meters/ausgrid-12/bill'),
    });
    expect((await api.get('/v1/meters/ausgrid-12-pv')).body).toMatchObject({ kind: 'inverter', householdId: 'ausgrid-12' });
    // The household that moved out: revoked now, so billed for the 17th (before), and not after.
    expect((await api.post('/v1/meters/sydney-gone/revoke', {})).status).toBe(200);
    const region = (await api.get(`/v1/regions/sydney/bills?from=${from}&to=${to}`)).body.items;
    expect(region.map((l: { meterId: string }) => l.meterId)).toEqual(['ausgrid-12', 'sydney-gone']);
    expect(region[0]).toMatchObject({ exportCredit: bill.exportCredit, standingCharge: '1.0000', due: bill.due });
    expect(region[1]).toMatchObject({ energyCharge: bill.energyCharge, exportCredit: '0.0000', standingCharge: '1.0000' });
    const later = { from: new Date(Date.now() + 60_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() };
    expect(
      (await api.get(`/v1/regions/sydney/bills?from=${later.from}&to=${later.to}`)).body.items.map((l: { meterId: string }) => l.meterId),
    ).toEqual(['ausgrid-12']);
    expect((await api.get(`/v1/meters/sydney-gone/bill?from=${later.from}&to=${later.to}`)).body).toMatchObject({ status: 409 });
    // Only an inverter joins a household, and only a live meter of its own region.
    expect((await api.post('/v1/meters', { regionId: 'sydney', kind: 'meter', householdId: 'ausgrid-12' })).body).toMatchObject({
      status: 400,
      errors: [{ field: 'householdId' }],
    });
    for (const householdId of ['sydney-gone', 'ausgrid-12-pv', 'nobody'])
      expect((await api.post('/v1/meters', { regionId: 'sydney', kind: 'inverter', householdId })).body).toMatchObject({
        status: 400,
        errors: [{ field: 'householdId' }],
      });
  });

  it('refuses an unknown groupBy and a bill for an unknown meter, as problems', async () => {
    expect((await api.get('/v1/meters/ausgrid-12/bill?groupBy=fortnight')).body).toMatchObject({
      status: 400,
      errors: [{ field: 'groupBy' }],
    });
    expect((await api.get('/v1/meters/nobody/bill')).status).toBe(404);
  });
});
