import { HALF_HOUR_S, SolarProfile, readLondonHouseholds, type HouseholdSlot } from '@wattline/datasets';
import type { PricePayload } from '@wattline/contracts';
import { lclTrialMeter, provisionLclTrial } from './lcl-trial';
import { SimulatedDevice, type DeviceCounters } from './simulated-device';

export interface SimulatorOptions {
  httpUrl: string;
  mqttUrl: string;
  adminKey: string;
  regionId: string;
  /** Households (meters): the 79 LCL homes replayed round robin, so 1,000 homes are each home about 13 times. */
  households: number;
  /** Share of households with a rooftop-PV inverter of their own (a second device). */
  inverterShare: number;
  /** First slot to replay (the data covers 2013-12-01 to 2013-12-31). */
  from: number;
  slots: number;
  /** Wall-clock milliseconds per half-hour slot: 1800000 is real time, 1000 replays a day in 48 s. */
  slotMs: number;
  /** Every this many slots a district (`outageShare` of the devices) loses its link for `outageSlots` slots; 0: never. */
  outageEvery?: number;
  outageShare?: number;
  outageSlots?: number;
  /**
   * The LCL trial as it ran (lcl-trial.ts): the region on the real dToU schedule with its Std
   * households on the flat control tariff, each home in its group's cohort. Otherwise one
   * critical-peak tariff for every home.
   */
  lclTrial?: boolean;
  /** Loopback source addresses to spread connections over (one address has ~28,000 ports). */
  sourceAddresses?: string[];
  log: (line: string) => void;
}

interface Home {
  meter: SimulatedDevice;
  inverter: SimulatedDevice | null;
  slots: Map<number, HouseholdSlot>;
  index: number;
}

/**
 * A city replaying real Low Carbon London households through the platform's own front doors:
 * it provisions the region and every meter and inverter over REST, connects them over MQTT
 * (persistent sessions, wills, random back-off), and slot by slot each home's meter sends its
 * measured half hour and its inverter the generation of the Sydney solar home for the same
 * season and clock time, scaled per home (SolarProfile). Optional district outages show the
 * devices reconnecting and sending their backlog in batches. Event time is the data's own (2013),
 * so prices follow the real load at any replay speed.
 */
export class CitySimulator {
  private readonly homes: Home[] = [];
  private stopped = false;
  private readonly counters: DeviceCounters = { acknowledged: 0, errors: 0, reconnects: 0 };
  private lastPrice: PricePayload | null = null;
  private summaryTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: SimulatorOptions) {}

  get stats() {
    return { acknowledged: this.counters.acknowledged, errors: this.counters.errors, reconnects: this.counters.reconnects };
  }

  async run(): Promise<void> {
    const { log } = this.options;
    const byHome = await this.loadSlots();
    const solar = this.options.inverterShare > 0 ? await SolarProfile.load() : null;
    const inverters = Math.round(this.options.households * this.options.inverterShare);
    log(
      `simulator: ${this.options.households} households (${byHome.length} real LCL homes replayed), ${inverters} with rooftop PV; ${this.options.slots} half-hour slots from ${new Date(this.options.from).toISOString()}`,
    );
    await this.provision(byHome, inverters);
    const devices = this.devices();
    this.summaryTimer = setInterval(() => this.summary(devices.length), 1000);
    this.summaryTimer.unref();

    const outageEvery = this.options.outageEvery ?? 0;
    for (let slot = 0; slot < this.options.slots && !this.stopped; slot++) {
      const started = Date.now();
      const slotStart = this.options.from + slot * HALF_HOUR_S * 1000;
      if (outageEvery > 0 && slot > 0 && slot % outageEvery === 0) this.outage(slot, devices);
      const ts = slotStart + HALF_HOUR_S * 1000;
      for (const home of this.homes) {
        const measured = home.slots.get(slotStart);
        if (measured) home.meter.record({ ts, periodS: HALF_HOUR_S, consumptionWh: measured.consumptionWh, seq: slot });
        if (home.inverter && solar)
          home.inverter.record({ ts, periodS: HALF_HOUR_S, generationWh: solar.generationWh(slotStart, home.index), seq: slot });
      }
      const price = this.lastPrice;
      log(
        `simulator: [${String(slot + 1).padStart(String(this.options.slots).length)}/${this.options.slots}] ${new Date(slotStart).toISOString().slice(0, 16)}Z` +
          ` · ${this.counters.acknowledged} readings acknowledged` +
          (price
            ? ` · price ${price.price} ${price.currency}/kWh, level ${price.level} (interval ${price.intervalStart.slice(11, 16)})`
            : ''),
      );
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, this.options.slotMs - (Date.now() - started))));
    }
  }

  /** Stops publishing and disconnects every device at once (a reading not yet acknowledged was never counted). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.summaryTimer) clearInterval(this.summaryTimer);
    await Promise.all(this.devices().map((d) => d.stop()));
    // Unacknowledged: queued, or in the batch in flight when the link closed (the broker may have stored those).
    const unacknowledged = this.devices().reduce((sum, d) => sum + d.pending, 0);
    this.options.log(`simulator: stopped; ${this.counters.acknowledged} readings acknowledged, ${unacknowledged} not`);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  private devices(): SimulatedDevice[] {
    return this.homes.flatMap((h) => (h.inverter ? [h.meter, h.inverter] : [h.meter]));
  }

  private lastSummary = { at: Date.now(), acknowledged: 0 };

  /** The live line: connected, readings/s, acknowledged, errors, backlog. */
  private summary(total: number): void {
    const now = Date.now();
    const rate = ((this.counters.acknowledged - this.lastSummary.acknowledged) * 1000) / Math.max(1, now - this.lastSummary.at);
    this.lastSummary = { at: now, acknowledged: this.counters.acknowledged };
    const devices = this.devices();
    const connected = devices.filter((d) => d.connected).length;
    const backlog = devices.reduce((sum, d) => sum + d.pending, 0);
    this.options.log(
      `simulator: ${connected}/${total} connected · ${Math.round(rate)} readings/s · ${this.counters.acknowledged} acknowledged · ${this.counters.errors} errors · backlog ${backlog} · ${this.counters.reconnects} reconnects`,
    );
  }

  /** A district loses its link: a contiguous block of devices, cut without DISCONNECT. */
  private outage(slot: number, devices: SimulatedDevice[]): void {
    const share = this.options.outageShare ?? 0.1;
    const count = Math.max(1, Math.round(devices.length * share));
    const first = Math.floor(Math.random() * Math.max(1, devices.length - count));
    const ms = (this.options.outageSlots ?? 4) * this.options.slotMs;
    this.options.log(`simulator: outage at slot ${slot + 1}: ${count} devices lose their link for ${ms} ms`);
    for (const device of devices.slice(first, first + count)) device.cut(ms);
  }

  private async loadSlots(): Promise<Map<number, HouseholdSlot>[]> {
    const end = this.options.from + this.options.slots * HALF_HOUR_S * 1000;
    const byHome = new Map<string, Map<number, HouseholdSlot>>();
    for await (const slot of readLondonHouseholds()) {
      if (!byHome.has(slot.lclId)) {
        if (byHome.size >= this.options.households) break;
        byHome.set(slot.lclId, new Map());
      }
      if (slot.slotStart >= this.options.from && slot.slotStart < end) byHome.get(slot.lclId)!.set(slot.slotStart, slot);
    }
    return [...byHome.values()];
  }

  private async provision(byHome: Map<number, HouseholdSlot>[], inverters: number): Promise<void> {
    const { httpUrl, adminKey, regionId, log } = this.options;
    const broker = new URL(this.options.mqttUrl);
    const sources = this.options.sourceAddresses ?? [];
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
    // The LCL trial's own price points (p/kWh: Low 3.99, Normal 11.76, High 67.20) as levels 1, 2 and 5;
    // the shadow bill at the flat 14.228p its Std households paid (data/README.md).
    if (this.options.lclTrial) await provisionLclTrial(httpUrl, adminKey, regionId);
    else
      await post('/v1/regions', {
        id: regionId,
        name: 'London, Low Carbon London trial households',
        timezone: 'Europe/London',
        pricing: {
          model: 'critical-peak-5',
          currency: 'GBP',
          levelPrices: ['0.0399', '0.1176', '0.2000', '0.4000', '0.6720'],
          capacityKw: Math.max(1, this.options.households * 0.8),
          thresholds: [0.5, 0.7, 0.85, 1.0],
          referencePrice: '0.14228',
        },
      });
    const lclIds = byHome.map((slots) => [...slots.values()][0]?.lclId ?? 'home');
    const groups = byHome.map((slots) => [...slots.values()][0]?.tariffGroup ?? 'Std');
    const device = async (id: string, kind: 'meter' | 'inverter', n: number, householdId?: string, trial?: object) => {
      const { status, json } = await post('/v1/meters', { id, regionId, kind, ...(householdId ? { householdId } : {}), ...trial });
      if (status === 409)
        throw new Error(`${kind} ${id} already exists and its password is not shown twice: use a fresh DATA_DIR or database`);
      const d = new SimulatedDevice(
        id,
        json.mqtt.password,
        {
          host: broker.hostname,
          port: Number(broker.port || 1883),
          localAddress: sources.length ? sources[n % sources.length] : undefined,
        },
        this.counters,
        {
          baseMs: Math.max(200, Math.min(this.options.slotMs, 5000)),
          maxMs: 60_000,
        },
      );
      await d.connect();
      return d;
    };
    let done = 0;
    let next = 0;
    const total = this.options.households;
    // Twenty at a time: provisioning a city is many small REST calls, not one per core.
    await Promise.all(
      Array.from({ length: Math.min(20, total) }, async () => {
        while (next < total) {
          const i = next++;
          const template = i % byHome.length;
          // The first pass keeps the LCL ids; further copies of a home get a suffix.
          const id = i < byHome.length ? lclIds[template] : `${lclIds[template]}x${Math.floor(i / byHome.length)}`;
          const meter = await device(id, 'meter', 2 * i, undefined, this.options.lclTrial ? lclTrialMeter(groups[template]) : undefined);
          const inverter = i < inverters ? await device(`${id}-pv`, 'inverter', 2 * i + 1, id) : null;
          this.homes[i] = { meter, inverter, slots: byHome[template], index: i };
          done += 1;
          if (done % (total <= 1000 ? 20 : 500) === 0 || done === total)
            log(`simulator: provisioned and connected ${done}/${total} households`);
        }
      }),
    );
    // The price log follows the region's default tariff (in the trial, a dToU home's).
    const watcher =
      (this.options.lclTrial ? this.homes.find((h, i) => groups[i % byHome.length] === 'ToU') : undefined)?.meter ?? this.homes[0].meter;
    await watcher.watchPrices(regionId, (price) => (this.lastPrice = price));
  }
}
