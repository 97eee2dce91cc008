import mqtt, { type MqttClient } from 'mqtt';
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
 * Retained state equals stored state after a restart of the all-in-one process (#23): its
 * broker keeps retained messages in memory and its in-process stream replays nothing, so before
 * this change a restarted platform held no `prices/{r}/forecast` and no `prices/{r}/current`
 * until each region's price next moved (minutes to a day), while REST answered from PostgreSQL.
 * Now a display that subscribes the moment the platform is up gets every region's price in
 * force and schedule, and the price in force is the one REST gives.
 */
const HALF = 1_800_000;
const START = Date.UTC(2013, 11, 2);
// 2 Dec to 17:00: past the 16:00 cut-off, so each region has announced its schedule for the 3rd.
const SLOTS = 34;
const REGIONS = ['north', 'south', 'east'];
const PRICING = lclCriticalPeak(1);

type Retained = Map<string, { validFrom?: string; price?: string; intervals?: unknown[] }>;

/** Every retained price topic a fresh display receives within `ms` of subscribing. */
async function retainedPrices(url: string, ms: number): Promise<Retained> {
  const display: MqttClient = await mqtt.connectAsync(url, { clientId: `display-${Date.now()}`, reconnectPeriod: 0 });
  const seen: Retained = new Map();
  display.on('message', (topic, payload, packet) => packet.retain && seen.set(topic, JSON.parse(payload.toString())));
  await display.subscribeAsync(['prices/+/current', 'prices/+/forecast'], { qos: 1 });
  await new Promise((resolve) => setTimeout(resolve, ms));
  await display.endAsync();
  return seen;
}

describe('retained prices after a restart of the all-in-one process', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;
  const env = () => ({ DATABASE_URL: db.url, ALLOW_ANONYMOUS_DISPLAYS: 'true', ADMIN_API_KEY: 'restart-admin-key-0123456789' });

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    platform = await startPlatformProcess(env());
  });

  afterAll(async () => {
    await platform?.stop();
    await db?.drop();
  });

  it("publishes every region's price in force and schedule before the first device is accepted, as REST has them", async () => {
    const api = restClient(platform.httpUrl, platform.adminKey);
    // One real LCL household per region.
    const slots = new Map<string, HouseholdSlot[]>();
    for await (const slot of readLondonHouseholds()) {
      if (slot.slotStart < START || slot.slotStart >= START + SLOTS * HALF) continue;
      if (!slots.has(slot.lclId) && slots.size === REGIONS.length) continue;
      slots.set(slot.lclId, [...(slots.get(slot.lclId) ?? []), slot]);
    }
    const households = [...slots.keys()];
    for (const [i, region] of REGIONS.entries()) {
      expect((await api.post('/v1/regions', { id: region, name: region, timezone: 'Europe/London', pricing: PRICING })).status).toBe(201);
      const id = households[i];
      const { body } = await api.post('/v1/meters', { id, regionId: region });
      const meter = await mqtt.connectAsync(platform.mqttUrl, {
        clientId: id,
        username: id,
        password: body.mqtt.password,
        reconnectPeriod: 0,
      });
      for (const slot of slots.get(id)!.sort((a, b) => a.slotStart - b.slotStart))
        await meter.publishAsync(`meters/${id}/readings`, JSON.stringify(slotToReading(slot)), { qos: 1 });
      await meter.endAsync();
    }
    const topics = REGIONS.flatMap((r) => [`prices/${r}/current`, `prices/${r}/forecast`]);
    const before = await expectEventually(
      async () => {
        const seen = await retainedPrices(platform.mqttUrl, 300);
        return topics.every((t) => seen.has(t)) ? seen : undefined;
      },
      { what: "every region's retained price in force and schedule", timeoutMs: 30_000 },
    );

    await platform.stop();
    platform = await startPlatformProcess(env());
    // The moment it is up: everything retained, nothing waiting on a price to move.
    const after = await retainedPrices(platform.mqttUrl, 300);
    expect([...after.keys()].sort()).toEqual([...topics].sort());
    for (const region of REGIONS) {
      expect(after.get(`prices/${region}/forecast`)).toEqual(before.get(`prices/${region}/forecast`));
      const rest = (await restClient(platform.httpUrl, platform.adminKey).get(`/v1/regions/${region}/tariffs/current`)).body;
      expect([region, after.get(`prices/${region}/current`)]).toEqual([region, rest]);
    }
  });
});
