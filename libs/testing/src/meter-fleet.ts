import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { readLondonHouseholds, slotToReading, type HouseholdSlot } from '@wattline/datasets';

/**
 * Real LCL households as MQTT meters that publish their half hours one after another at
 * QoS 1, each waiting for its PUBACK, on persistent sessions that reconnect by themselves
 * (mqtt.js resends an unacknowledged PUBLISH after a reconnect). Tracks what was sent and what
 * was acknowledged, for tests that end in exact counts.
 */
export class MeterFleet {
  readonly clients = new Map<string, MqttClient>();
  readonly sent = new Map<string, number[]>();
  readonly acked = new Map<string, number[]>();
  private readonly slots = new Map<string, HouseholdSlot[]>();
  private running = false;
  private loops: Promise<void>[] = [];

  private constructor(private readonly url: () => string) {}

  /**
   * Loads the households' real half hours and connects one meter each. A meter replays the
   * household named by `household` (default: its own id), so a city larger than the 79 real
   * households reuses their data under other meter ids. `options` go to mqtt.js (e.g. `servers`
   * to fail over between broker instances).
   */
  static async connect(
    url: () => string,
    meters: { id: string; password: string; household?: string }[],
    options: IClientOptions = {},
  ): Promise<MeterFleet> {
    const fleet = new MeterFleet(url);
    const households = new Set(meters.map((m) => m.household ?? m.id));
    const byHousehold = new Map<string, HouseholdSlot[]>();
    for await (const slot of readLondonHouseholds({ households: (id) => households.has(id) })) {
      const list = byHousehold.get(slot.lclId) ?? [];
      list.push(slot);
      byHousehold.set(slot.lclId, list);
    }
    for (let i = 0; i < meters.length; i += 50) {
      await Promise.all(
        meters.slice(i, i + 50).map(async ({ id, password, household }) => {
          fleet.slots.set(id, byHousehold.get(household ?? id) ?? []);
          const client = await mqtt.connectAsync(url(), {
            clientId: id,
            username: id,
            password,
            clean: false,
            reconnectPeriod: 300,
            connectTimeout: 10_000,
            ...options,
          });
          client.on('error', () => undefined);
          fleet.clients.set(id, client);
          fleet.sent.set(id, []);
          fleet.acked.set(id, []);
        }),
      );
    }
    return fleet;
  }

  /** One fleet of several (e.g. meters first connected to different broker instances). */
  static merge(fleets: MeterFleet[]): MeterFleet {
    const merged = new MeterFleet(fleets[0].url);
    for (const fleet of fleets) {
      for (const [id, client] of fleet.clients) merged.clients.set(id, client);
      for (const [id, list] of fleet.sent) merged.sent.set(id, list);
      for (const [id, list] of fleet.acked) merged.acked.set(id, list);
      for (const [id, slots] of fleet.slots) merged.slots.set(id, slots);
    }
    return merged;
  }

  /** Starts publishing (each meter: next half hour once the previous one is acknowledged, `paceMs` apart). */
  start(paceMs = 0): void {
    this.running = true;
    this.loops = [...this.clients].map(async ([id, client]) => {
      const slots = this.slots.get(id) ?? [];
      while (this.running && this.sent.get(id)!.length < slots.length) {
        const slot = slots[this.sent.get(id)!.length];
        this.sent.get(id)!.push(slot.slotStart);
        await client.publishAsync(`meters/${id}/readings`, JSON.stringify(slotToReading(slot)), { qos: 1 });
        this.acked.get(id)!.push(slot.slotStart);
        if (paceMs > 0) await new Promise((resolve) => setTimeout(resolve, paceMs));
      }
    });
  }

  /** Stops issuing new readings; resolves once every reading sent has been acknowledged. */
  async settle(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  get totals(): { sent: number; acked: number } {
    const count = (m: Map<string, number[]>) => [...m.values()].reduce((n, l) => n + l.length, 0);
    return { sent: count(this.sent), acked: count(this.acked) };
  }

  /** Watt-hours of everything sent, from the CSV's values (the platform's sums must equal it). */
  sentWh(): number {
    let wh = 0;
    for (const id of this.sent.keys()) wh += this.sentWhOf(id);
    return wh;
  }

  /** Watt-hours one meter sent. */
  sentWhOf(id: string): number {
    const bySlot = new Map((this.slots.get(id) ?? []).map((s) => [s.slotStart, s.consumptionWh]));
    return (this.sent.get(id) ?? []).reduce((wh, start) => wh + bySlot.get(start)!, 0);
  }

  async close(): Promise<void> {
    this.running = false;
    await Promise.all([...this.clients.values()].map((c) => c.endAsync(true).catch(() => undefined)));
  }
}
