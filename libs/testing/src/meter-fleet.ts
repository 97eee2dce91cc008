import mqtt, { type MqttClient } from 'mqtt';
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

  /** Loads the households' real half hours and connects one meter each. */
  static async connect(url: () => string, meters: { id: string; password: string }[]): Promise<MeterFleet> {
    const fleet = new MeterFleet(url);
    const ids = new Set(meters.map((m) => m.id));
    for await (const slot of readLondonHouseholds({ households: (id) => ids.has(id) })) {
      const list = fleet.slots.get(slot.lclId) ?? [];
      list.push(slot);
      fleet.slots.set(slot.lclId, list);
    }
    for (const { id, password } of meters) {
      const client = await mqtt.connectAsync(url(), { clientId: id, username: id, password, clean: false, reconnectPeriod: 300, connectTimeout: 5000 });
      client.on('error', () => undefined);
      fleet.clients.set(id, client);
      fleet.sent.set(id, []);
      fleet.acked.set(id, []);
    }
    return fleet;
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
    for (const [id, starts] of this.sent) {
      const bySlot = new Map((this.slots.get(id) ?? []).map((s) => [s.slotStart, s.consumptionWh]));
      for (const start of starts) wh += bySlot.get(start)!;
    }
    return wh;
  }

  async close(): Promise<void> {
    this.running = false;
    await Promise.all([...this.clients.values()].map((c) => c.endAsync(true).catch(() => undefined)));
  }
}
