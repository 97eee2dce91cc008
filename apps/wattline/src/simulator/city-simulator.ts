import mqtt, { type MqttClient } from 'mqtt';
import { HALF_HOUR_S, readLondonHouseholds, slotToReading, type HouseholdSlot } from '@wattline/datasets';

export interface SimulatorOptions {
  httpUrl: string;
  mqttUrl: string;
  adminKey: string;
  regionId: string;
  /** How many of the 79 LCL households to replay. */
  households: number;
  /** First slot to replay (the data covers 2013-12-02 to 2013-12-29). */
  from: number;
  slots: number;
  /** Wall-clock milliseconds per half-hour slot: 1000 replays a day in 48 s. */
  slotMs: number;
  log: (line: string) => void;
}

/**
 * Replays real Low Carbon London households through the platform's own front doors: it
 * provisions the region and a meter per household over REST, connects every meter over
 * MQTT and, slot by slot, publishes each home's measured half hour as its meter would.
 * Event time is the data's own (2013), so prices follow the real load at any replay speed.
 */
export class CitySimulator {
  private readonly meters = new Map<string, MqttClient>();
  private stopped = false;
  readonly stats = { published: 0, slots: 0, lastPrice: null as null | { intervalStart: string; price: string; currency: string; level: number } };

  constructor(private readonly options: SimulatorOptions) {}

  async run(): Promise<void> {
    const { log } = this.options;
    const byHome = await this.loadSlots();
    log(`simulator: ${byHome.size} real households, ${this.options.slots} half-hour slots from ${new Date(this.options.from).toISOString()}`);
    await this.provision([...byHome.keys()]);
    const watcher = this.meters.values().next().value as MqttClient;
    watcher.on('message', (_topic, payload) => (this.stats.lastPrice = JSON.parse(payload.toString())));
    await watcher.subscribeAsync(`prices/${this.options.regionId}/current`, { qos: 1 });

    for (let slot = 0; slot < this.options.slots && !this.stopped; slot++) {
      const started = Date.now();
      const slotStart = this.options.from + slot * HALF_HOUR_S * 1000;
      await Promise.all(
        [...byHome.entries()].map(async ([id, slots]) => {
          const reading = slots.get(slotStart);
          if (!reading) return;
          await this.meters.get(id)!.publishAsync(`meters/${id}/readings`, JSON.stringify(slotToReading(reading)), { qos: 1 });
          this.stats.published += 1;
        }),
      );
      this.stats.slots += 1;
      const price = this.stats.lastPrice;
      log(
        `simulator: [${String(slot + 1).padStart(String(this.options.slots).length)}/${this.options.slots}] ${new Date(slotStart).toISOString().slice(0, 16)}Z` +
          ` · ${this.stats.published} readings sent` +
          (price ? ` · price ${price.price} ${price.currency}/kWh, level ${price.level} (interval ${price.intervalStart.slice(11, 16)})` : ''),
      );
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, this.options.slotMs - (Date.now() - started))));
    }
  }

  /** Stops publishing and disconnects every meter at once (a reading not yet acknowledged was never counted). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all([...this.meters.values()].map((m) => m.endAsync(true).catch(() => undefined)));
    this.options.log(`simulator: stopped; ${this.stats.published} readings acknowledged`);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  private async loadSlots(): Promise<Map<string, Map<number, HouseholdSlot>>> {
    const end = this.options.from + this.options.slots * HALF_HOUR_S * 1000;
    const byHome = new Map<string, Map<number, HouseholdSlot>>();
    for await (const slot of readLondonHouseholds()) {
      if (!byHome.has(slot.lclId)) {
        if (byHome.size >= this.options.households) break;
        byHome.set(slot.lclId, new Map());
      }
      if (slot.slotStart >= this.options.from && slot.slotStart < end) byHome.get(slot.lclId)!.set(slot.slotStart, slot);
    }
    return byHome;
  }

  private async provision(ids: string[]): Promise<void> {
    const { httpUrl, adminKey, regionId, log } = this.options;
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${httpUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as Record<string, any>;
      if (!res.ok && res.status !== 409) throw new Error(`${path}: ${res.status} ${json.detail ?? ''}`);
      return { status: res.status, json };
    };
    // The LCL trial's own price points (p/kWh: Low 3.99, Normal 11.76, High 67.20) as levels 1, 2 and 5.
    await post('/v1/regions', {
      id: regionId,
      name: 'London, Low Carbon London trial households',
      timezone: 'Europe/London',
      pricing: { model: 'critical-peak-5', currency: 'GBP', levelPrices: ['0.0399', '0.1176', '0.2000', '0.4000', '0.6720'], capacityKw: Math.max(1, ids.length * 0.8), thresholds: [0.5, 0.7, 0.85, 1.0] },
    });
    let done = 0;
    for (const id of ids) {
      const { status, json } = await post('/v1/meters', { id, regionId, kind: 'meter' });
      if (status === 409) throw new Error(`meter ${id} already exists and its password is not shown twice: use a fresh DATA_DIR or database`);
      const client = await mqtt.connectAsync(this.options.mqttUrl, {
        clientId: id,
        username: id,
        password: json.mqtt.password,
        clean: false,
        reconnectPeriod: 1000,
        will: { topic: `meters/${id}/status`, payload: Buffer.from(JSON.stringify({ state: 'offline' })), qos: 1, retain: true },
      });
      this.meters.set(id, client);
      done += 1;
      if (done % 20 === 0 || done === ids.length) log(`simulator: provisioned and connected ${done}/${ids.length} meters`);
    }
  }
}
