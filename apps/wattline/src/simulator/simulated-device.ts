import net from 'node:net';
import { MqttClient } from 'mqtt';
import { mqttTopics, statusPayload, type PricePayload } from '@wattline/contracts';

export interface DeviceReading {
  ts: number;
  periodS: number;
  consumptionWh?: number;
  generationWh?: number;
  seq: number;
}

export interface DeviceCounters {
  acknowledged: number;
  errors: number;
  reconnects: number;
}

/** A batch carries at most this many readings (the contract's limit for a backlog). */
const MAX_BATCH = 500;

/**
 * One meter or inverter as it behaves in the field: a persistent session (clean = false), a
 * will that says "offline", readings kept until the broker acknowledges them, a random
 * exponential back-off when the link drops, and the backlog sent in batches when it is back.
 * Every reading carries its `seq`, so one resent after a lost PUBACK is counted once.
 */
export class SimulatedDevice {
  private readonly backlog: DeviceReading[] = [];
  private client: MqttClient | null = null;
  private sending = false;
  private attempt = 0;
  private linkDownUntil = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Settles when the current connection closes: a publish in flight then is given up and sent again. */
  private linkClosed: Promise<void> = Promise.resolve();
  private signalClosed: () => void = () => undefined;
  connected = false;

  constructor(
    readonly id: string,
    private readonly password: string,
    private readonly broker: { host: string; port: number; localAddress?: string },
    private readonly counters: DeviceCounters,
    private readonly backoff: { baseMs: number; maxMs: number },
  ) {}

  get pending(): number {
    return this.backlog.length;
  }

  async connect(): Promise<void> {
    const client = new MqttClient(
      () => net.connect({ host: this.broker.host, port: this.broker.port, localAddress: this.broker.localAddress, noDelay: true }),
      {
        clientId: this.id,
        username: this.id,
        password: this.password,
        protocolVersion: 4,
        clean: false,
        keepalive: 120,
        // Reconnects are this class's own (random back-off), not mqtt.js' fixed period.
        reconnectPeriod: 0,
        connectTimeout: 60_000,
        will: {
          topic: mqttTopics.status(this.id),
          payload: Buffer.from(JSON.stringify(statusPayload({ meterId: this.id, state: 'offline', since: Date.now() }))),
          qos: 1,
          retain: true,
        },
      },
    );
    this.client = client;
    client.on('connect', () => {
      this.linkClosed = new Promise((resolve) => (this.signalClosed = resolve));
      this.connected = true;
      this.attempt = 0;
      void this.flush();
    });
    client.on('message', (topic, payload) => {
      if (topic === mqttTopics.errors(this.id)) this.counters.errors += 1;
      else this.onPrice?.(JSON.parse(payload.toString()));
    });
    client.on('close', () => {
      this.connected = false;
      this.signalClosed();
      this.scheduleReconnect();
    });
    client.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('close', () => reject(new Error(`${this.id}: connection closed before CONNACK`)));
    });
    // Errors on this device's readings come back here (the broker's answer to a rejected one).
    await client.subscribeAsync(mqttTopics.errors(this.id), { qos: 1 });
  }

  private onPrice: ((price: PricePayload) => void) | null = null;

  /** The price in force in the device's region, as its household display sees it. */
  async watchPrices(regionId: string, onPrice: (price: PricePayload) => void): Promise<void> {
    this.onPrice = onPrice;
    await this.client?.subscribeAsync(mqttTopics.currentPrice(regionId), { qos: 1 });
  }

  /** A new half hour measured: kept until acknowledged, sent now if the link is up. */
  record(reading: DeviceReading): void {
    this.backlog.push(reading);
    void this.flush();
  }

  /** The link goes down for `ms` (a district outage): no DISCONNECT, the broker finds out. */
  cut(ms: number): void {
    this.linkDownUntil = Date.now() + ms;
    this.client?.stream.destroy();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.client?.endAsync(true).catch(() => undefined);
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    // Full jitter on an exponential back-off, so a district does not come back in lockstep.
    const backoff = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** this.attempt) * (0.5 + Math.random());
    const delay = Math.max(backoff, this.linkDownUntil - Date.now());
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.stopped || !this.client) return;
      this.counters.reconnects += 1;
      this.client.reconnect();
    }, delay);
  }

  private async flush(): Promise<void> {
    if (this.sending || !this.connected || !this.client || this.backlog.length === 0) return;
    this.sending = true;
    try {
      while (this.connected && this.backlog.length > 0) {
        const batch = this.backlog.slice(0, MAX_BATCH);
        const payload = batch.length === 1 ? batch[0] : { readings: batch };
        const acked = await Promise.race([
          this.client.publishAsync(mqttTopics.readings(this.id), JSON.stringify(payload), { qos: 1 }).then(() => true),
          this.linkClosed.then(() => false),
        ]);
        // Link gone before the PUBACK: kept, and sent again after the reconnect (its seq makes
        // a copy that did arrive count once).
        if (!acked) break;
        this.backlog.splice(0, batch.length);
        this.counters.acknowledged += batch.length;
      }
    } catch {
      // The link dropped mid-publish: the readings stay in the backlog and go again after the reconnect.
    } finally {
      this.sending = false;
    }
  }
}
