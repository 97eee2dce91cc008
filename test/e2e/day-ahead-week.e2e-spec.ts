import mqtt, { type MqttClient } from 'mqtt';
import {
  forecastPayloadSchema,
  householdSummaryPayloadSchema,
  pricePayloadSchema,
  type HouseholdSummaryPayload,
  type PricePayload,
} from '@wattline/contracts';
import { readLondonHouseholds, slotToReading, type HouseholdSlot } from '@wattline/datasets';
import {
  createTestDatabase,
  expectEventually,
  lclCriticalPeak,
  restClient,
  startPlatformProcess,
  type PlatformProcess,
} from '@wattline/testing';

/**
 * Five days of the real London households replayed through MQTT in lockstep, half hour by half
 * hour: every meter publishes its reading for a half hour (stamped at its end), then the
 * replay waits for `prices/london/current` to announce the half hour that has just begun in
 * event time — so no reading of an interval is ever sent before that interval's price arrived.
 * Before each new day the schedule must have come, retained, on `prices/london/forecast`,
 * after that day's 16:00 cut-off (London time); each current price must equal it; every firm
 * price must recompute from its stored inputs; a display connecting at any moment must get a
 * price valid for that moment.
 */
const HALF = 1_800_000;
const START = Date.UTC(2013, 11, 2); // Monday; London is on GMT in December
// Five days (Mon 2 – Fri 6 Dec): four announced day-ahead schedules after a day of history.
// (Seven took 80–100 s of the suite's ten minutes; the fifth day already exercises every path.)
const DAYS = 5;
const LAST_DAY = START + (DAYS - 1) * 48 * HALF;
const iso = (ms: number) => new Date(ms).toISOString();
// Grid supply for these 79 homes: their evening peak (~34 kWh a half hour) is critical.
const PRICING = lclCriticalPeak(60);

describe('a week of day-ahead prices, replayed from the real London households', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;
  const meters: MqttClient[] = [];

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    platform = await startPlatformProcess({ DATABASE_URL: db.url, ALLOW_ANONYMOUS_DISPLAYS: 'true', MQTT_MAX_PUBLISH_RATE: '100000' });
  });

  afterAll(async () => {
    await Promise.all(meters.map((m) => m.endAsync(true).catch(() => undefined)));
    await platform?.stop();
    await db?.drop();
  });

  it('announces each day at its cut-off, each half hour at its start, and explains every price', async () => {
    const api = restClient(platform.httpUrl, platform.adminKey);
    expect(
      (await api.post('/v1/regions', { id: 'london', name: 'London (LCL trial)', timezone: 'Europe/London', pricing: PRICING })).status,
    ).toBe(201);
    const bySlot = new Map<number, HouseholdSlot[]>();
    const households = new Set<string>();
    for await (const slot of readLondonHouseholds()) {
      if (slot.slotStart < START || slot.slotStart >= START + DAYS * 48 * HALF) continue;
      households.add(slot.lclId);
      bySlot.set(slot.slotStart, [...(bySlot.get(slot.slotStart) ?? []), slot]);
    }
    expect(households.size).toBe(79);
    const clients = new Map<string, MqttClient>();
    for (const id of households) {
      const { body } = await api.post('/v1/meters', { id, regionId: 'london' });
      const client = await mqtt.connectAsync(platform.mqttUrl, {
        clientId: id,
        username: id,
        password: body.mqtt.password,
        reconnectPeriod: 0,
      });
      meters.push(client);
      clients.set(id, client);
    }

    // The household display: what it received, and the event time (newest reading sent) when it did.
    let eventTime = 0;
    const current: { at: number; price: PricePayload }[] = [];
    const schedules: { at: number; intervals: PricePayload[] }[] = [];
    const display = await mqtt.connectAsync(platform.mqttUrl, { clientId: 'kitchen-display', reconnectPeriod: 0 });
    meters.push(display);
    display.on('message', (topic, payload) => {
      const message = JSON.parse(payload.toString());
      if (topic === 'prices/london/current') current.push({ at: eventTime, price: pricePayloadSchema.parse(message) });
      else schedules.push({ at: eventTime, intervals: forecastPayloadSchema.parse(message).intervals });
    });
    await display.subscribeAsync(['prices/london/current', 'prices/london/forecast'], { qos: 1 });
    // One household's own display, through its meter's credential: its summary, refreshed each half hour.
    const household = [...households][0];
    const summaries: HouseholdSummaryPayload[] = [];
    clients
      .get(household)!
      .on(
        'message',
        (topic, payload) =>
          topic === `households/${household}/summary` &&
          summaries.push(householdSummaryPayloadSchema.parse(JSON.parse(payload.toString()))),
      );
    await clients.get(household)!.subscribeAsync(`households/${household}/summary`, { qos: 1 });

    const latecomers: { at: number; price: PricePayload }[] = [];
    for (let k = 0; k < DAYS * 48; k++) {
      const slotStart = START + k * HALF;
      eventTime = slotStart + HALF;
      await Promise.all(
        (bySlot.get(slotStart) ?? []).map((slot) =>
          clients.get(slot.lclId)!.publishAsync(`meters/${slot.lclId}/readings`, JSON.stringify(slotToReading(slot)), { qos: 1 }),
        ),
      );
      // Event time is now the end of this half hour: the next one has begun and its price must be announced.
      const next = new Date(eventTime).toISOString();
      await expectEventually(() => (current.some((c) => c.price.validFrom === next) ? true : undefined), {
        what: `the price in force from ${next}`,
        timeoutMs: 15_000,
      });
      if (k % 37 === 5) {
        // A display that connects now gets, retained, a price valid now.
        const late = await mqtt.connectAsync(platform.mqttUrl, { clientId: `late-${k}`, reconnectPeriod: 0 });
        const retained = new Promise<PricePayload>((resolve) =>
          late.on('message', (_t, p, packet) => packet.retain && resolve(pricePayloadSchema.parse(JSON.parse(p.toString())))),
        );
        await late.subscribeAsync('prices/london/current', { qos: 1 });
        latecomers.push({ at: eventTime, price: await retained });
        await late.endAsync();
      }
    }

    // The household's summary once the half hour to 23:30 on the last day had closed: the day so far and that half hour, as replayed.
    const lateEvening = await expectEventually(() => summaries.find((x) => x.at === iso(LAST_DAY + 47 * HALF)), {
      what: 'the summary at 23:30',
    });
    const mine = [...bySlot].flatMap(([start, slots]) =>
      slots.filter((x) => x.lclId === household).map((x) => ({ start, wh: x.consumptionWh })),
    );
    const onLastDay = mine.filter((x) => x.start >= LAST_DAY && x.start < LAST_DAY + 47 * HALF);
    expect(lateEvening.today.from).toBe(iso(LAST_DAY));
    expect(lateEvening.today.consumptionWh).toBeCloseTo(
      onLastDay.reduce((sum, x) => sum + x.wh, 0),
      3,
    );
    expect(lateEvening.lastInterval).toMatchObject({
      intervalStart: iso(LAST_DAY + 46 * HALF),
      consumptionWh: expect.closeTo(onLastDay.at(-1)!.wh, 3),
    });
    expect(Number(lateEvening.today.cost)).toBeGreaterThan(0);
    // At midnight a new day starts empty; the half hour just ended is still shown.
    const midnight = summaries.find((x) => x.at === iso(LAST_DAY));
    expect(midnight).toMatchObject({
      today: { from: iso(LAST_DAY), consumptionWh: 0 },
      lastInterval: { intervalStart: iso(LAST_DAY - HALF) },
    });
    expect(summaries.length).toBeGreaterThan(DAYS * 48 - 40); // one per half hour, as each closes

    expect(latecomers.length).toBeGreaterThan(5);
    for (const { at, price } of latecomers) {
      expect([at, Date.parse(price.validFrom) <= at && at < Date.parse(price.validTo)]).toEqual([at, true]);
    }

    // Day 1 had no history before its cut-off: its half hours ran on the fallback rate, marked as such.
    const day1 = current.filter((c) => Date.parse(c.price.validFrom) >= START && Date.parse(c.price.validFrom) < START + 48 * HALF);
    expect(day1.length).toBeGreaterThan(40);
    expect(new Set(day1.map((c) => `${c.price.basis}/${c.price.firm}/${c.price.price}`))).toEqual(new Set(['fallback/false/0.157395']));

    let firmCount = 0;
    const levels = new Set<number>();
    for (let day = 1; day < DAYS; day++) {
      const dayStart = START + day * 48 * HALF;
      const cutoff = dayStart - 8 * 3_600_000; // 16:00 the day before, GMT
      // The schedule for the day came once the cut-off had passed in event time, before the day began.
      const schedule = schedules.find((s) => s.intervals.some((i) => Date.parse(i.validFrom) === dayStart));
      expect(schedule).toBeDefined();
      expect([day, schedule!.at >= cutoff && schedule!.at <= dayStart]).toEqual([day, true]);
      const ofDay = schedule!.intervals.filter(
        (i) => Date.parse(i.validFrom) >= dayStart && Date.parse(i.validFrom) < dayStart + 48 * HALF,
      );
      expect(ofDay).toHaveLength(48);
      for (const announced of ofDay) {
        expect(announced).toMatchObject({ firm: true, basis: 'day-ahead', currency: 'GBP', model: 'critical-peak-5' });
        // The price in force at the interval's start equals the schedule (the replay sent no reading of the
        // interval before it arrived: it waits for it, above).
        const inForce = current.find((c) => c.price.validFrom === announced.validFrom)!;
        expect(inForce).toBeDefined();
        const { computedAt: _a, ...scheduled } = announced;
        const { computedAt: _b, ...shown } = inForce.price;
        expect(shown).toEqual(scheduled);
        levels.add(announced.level);
        firmCount += 1;
      }
    }
    expect(firmCount).toBe((DAYS - 1) * 48);
    const byDay = [...new Set(current.map((c) => c.price.validFrom.slice(0, 10)))].map((d) => {
      const ofDay = current.filter((c) => c.price.validFrom.startsWith(d));
      return `${d}: ${[1, 2, 3, 4, 5].map((l) => ofDay.filter((c) => c.price.level === l).length).join('/')}${ofDay[0].price.basis === 'fallback' ? ' (fallback)' : ''}`;
    });
    console.log(
      `day-ahead week, half hours per level 1/2/3/4/5 — ${byDay.join('; ')}\nsample: ${JSON.stringify(current.find((c) => c.price.validFrom === '2013-12-06T17:30:00.000Z')?.price)}`,
    );
    expect(levels.size).toBeGreaterThan(1); // the forecast evening peaks raise the level

    // Every firm price explains itself: its inputs, and a recomputation that matches.
    const explained = await Promise.all(
      schedules
        .flatMap((s) => s.intervals)
        .filter((p, i, all) => all.findIndex((q) => q.validFrom === p.validFrom) === i)
        .map((p) => api.get(`/v1/regions/london/tariffs/${p.validFrom}/explain`)),
    );
    expect(explained.length).toBeGreaterThanOrEqual((DAYS - 1) * 48);
    for (const { status, body } of explained) {
      expect(status).toBe(200);
      expect(body).toMatchObject({
        matches: true,
        recomputed: { price: body.price.price, level: body.price.level },
        inputs: { forecastDemandWh: expect.any(Number) },
      });
    }
    // Ex post: the half hours that have closed carry their measured utilisation and the level it would have had.
    const closed = explained.filter((e) => e.body.measured !== null);
    expect(closed.length).toBeGreaterThan((DAYS - 2) * 48);
    for (const { body } of closed)
      expect(body.measured).toMatchObject({ levelWouldHaveBeen: expect.any(Number), demandErrorWh: expect.any(Number) });
    const forecast = await api.get(
      `/v1/regions/london/forecast?from=${iso(START + 48 * HALF)}&to=${iso(START + DAYS * 48 * HALF)}&limit=1000`,
    );
    expect(forecast.body.items.length).toBe((DAYS - 1) * 48);
  }, 600_000);
});
