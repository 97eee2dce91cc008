import mqtt from 'mqtt';
import { mqttTopics, type PricePayload } from '@wattline/contracts';
import { KafkaStream } from '@wattline/stream';
import { BenchContext, CORES, MOSQUITTO, WORKER_VARIANTS, log, progress, sleep } from '../context';
import type { FleetResult } from '../generator/fleet';
import { measureCpu, pidOf, pin } from '../proc';

export interface StormRun {
  /** Wattline: broker processes (MQTT_WORKERS). */
  workers?: number;
  displays: number;
  connected: number;
  /** SUBSCRIBE written by every display → the retained price received by the last one. */
  retained: { seconds: number; received: number; p50Ms: number; p99Ms: number; brokerCpuSeconds: number };
  /** One new price published → received by the last display. */
  liveUpdate: { seconds: number; received: number; p50Ms: number; p99Ms: number; brokerCpuSeconds: number };
}

export interface RetainedResult {
  description: string;
  wattline: StormRun[];
  mosquitto: StormRun[];
}

const SIZES = (process.env.BENCH_STORM_DISPLAYS ?? '1000,5000').split(',').map(Number);
const REGION = 'storm';

function price(marker: string): PricePayload {
  const start = new Date(Math.floor(Date.now() / 1_800_000) * 1_800_000);
  const end = new Date(start.getTime() + 1_800_000);
  return {
    regionId: REGION,
    tariff: 'dynamic',
    intervalStart: start.toISOString(),
    intervalEnd: end.toISOString(),
    validFrom: start.toISOString(),
    validTo: end.toISOString(),
    price: '0.1499',
    priceExTax: '0.1428',
    tax: '0.0071',
    // The marker rides in a free-text field: it tells each display's copy of this price from the last one.
    currency: marker,
    unit: 'kWh',
    level: 3,
    firm: false,
    basis: 'fallback',
    forecastDemandWh: null,
    forecastSupplyWh: null,
    model: 'flat',
    modelVersion: 1,
    computedAt: new Date().toISOString(),
  };
}

/**
 * Scenario 4: N displays subscribe at once to a region's retained price (after a broker
 * restart, every display resubscribes), then one new price reaches them all. On Wattline the
 * price takes its real path: an announcement on `price.announcements` in Kafka, which the
 * broker publishes retained (held in Redis, as when scaled out). Displays are anonymous
 * (ALLOW_ANONYMOUS_DISPLAYS): what is timed is the subscribe and the fan-out, not the CONNECT.
 */
export async function retainedStorm(ctx: BenchContext): Promise<RetainedResult> {
  const databaseUrl = await ctx.database(REGION);
  const wattline: StormRun[] = [];
  for (const workers of WORKER_VARIANTS) {
    const prefix = `benchstorm${workers}w${Date.now()}.`;
    const broker = await ctx.wattline('broker', {
      KAFKA_BROKERS: ctx.kafka.brokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      DATABASE_URL: databaseUrl,
      REDIS_URL: await ctx.redis(),
      ALLOW_ANONYMOUS_DISPLAYS: 'true',
      ...(workers > 1 ? { MQTT_WORKERS: String(workers) } : {}),
    });
    const stream = new KafkaStream({ brokers: ctx.kafka.brokers, topicPrefix: prefix, clientId: 'bench-announcer' });
    await stream.start();
    let seq = 0;
    const announce = async (marker: string) => {
      seq += 1;
      await stream.publish('announcements', [
        { key: mqttTopics.currentPrice(REGION), value: { seq, regionId: REGION, kind: 'current', payload: price(marker) } },
      ]);
    };
    try {
      for (const displays of SIZES) {
        const marker = `bench-retained-${displays}-${Date.now()}`;
        await announce(marker);
        await untilRetained(broker.mqttUrl, mqttTopics.currentPrice(REGION), marker);
        const label = `wattline (${workers} worker${workers > 1 ? 's' : ''}) ${displays} displays`;
        const run = await storm(ctx, label, { host: '127.0.0.1', port: broker.ports.mqtt }, broker.child.pid!, displays, marker, (m) =>
          announce(m),
        );
        wattline.push({ workers, ...run });
      }
    } finally {
      await stream.stop();
      await broker.stop();
    }
  }

  const mosquitto: StormRun[] = [];
  const pid = pidOf('mosquitto');
  if (pid) {
    const topic = `wattline-bench/${mqttTopics.currentPrice(REGION)}`;
    const publisher = await mqtt.connectAsync(`mqtt://${MOSQUITTO.host}:${MOSQUITTO.port}`, {
      clientId: 'bench-publisher',
      reconnectPeriod: 0,
    });
    const publish = (marker: string) =>
      publisher.publishAsync(topic, JSON.stringify(price(marker)), { qos: 1, retain: true }).then(() => undefined);
    pin(pid, CORES.broker);
    try {
      for (const displays of SIZES) {
        const marker = `bench-retained-${displays}-${Date.now()}`;
        await publish(marker);
        mosquitto.push(await storm(ctx, `mosquitto ${displays} displays`, MOSQUITTO, pid, displays, marker, publish, topic));
      }
    } finally {
      pin(pid, CORES.all);
      // Leave the reference broker as it was: an empty retained payload clears the topic (MQTT-3.3.1-10).
      await publisher.publishAsync(topic, '', { qos: 1, retain: true });
      await publisher.endAsync();
    }
  }
  return {
    description: `displays connected first, then all SUBSCRIBE at once (QoS 1) to the retained current price; then one new price. Wattline: broker app, Redis-shared retained store, the price announced through Kafka; Mosquitto: a client publishes it retained`,
    wattline,
    mosquitto,
  };
}

async function storm(
  ctx: BenchContext,
  label: string,
  target: { host: string; port: number },
  pid: number,
  displays: number,
  marker: string,
  publish: (marker: string) => Promise<void>,
  topic = mqttTopics.currentPrice(REGION),
): Promise<StormRun> {
  const clients = Array.from({ length: displays }, (_, i) => ({ clientId: `display-${i}-${Date.now()}`, keepalive: 900 }));
  const connected = await ctx.fleet.connect(target, clients, { inFlight: 1000 });
  const retained = await measureCpu(
    { broker: pid },
    () => ctx.fleet.awaitDelivery({ topic, marker, subscribe: true, timeoutMs: 120_000 }, progress(`${label} retained`, displays)).done,
  );
  await sleep(500);
  const next = `${marker}-live`;
  const live = await measureCpu({ broker: pid }, async () => {
    const delivery = ctx.fleet.awaitDelivery(
      { topic, marker: next, subscribe: false, timeoutMs: 120_000 },
      progress(`${label} live`, displays),
    );
    await delivery.ready;
    // The clock is the generator's: it starts when the workers are listening, just before the publish.
    await publish(next);
    return delivery.done;
  });
  await ctx.fleet.close(true);
  const run: StormRun = {
    displays,
    connected: connected.count,
    retained: view(retained.result, retained.cpu.broker),
    liveUpdate: view(live.result, live.cpu.broker),
  };
  log(
    `  ${label}: retained to all in ${run.retained.seconds} s (${run.retained.received}/${displays}), live update in ${run.liveUpdate.seconds} s`,
  );
  return run;
}

const view = (r: FleetResult, cpu: number) => ({
  seconds: r.seconds,
  received: r.count,
  p50Ms: r.latencyMs.p50,
  p99Ms: r.latencyMs.p99,
  brokerCpuSeconds: cpu,
});

async function untilRetained(url: string, topic: string, marker: string): Promise<void> {
  const probe = await mqtt.connectAsync(url, { clientId: `probe-${Date.now()}`, reconnectPeriod: 0 });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no retained price with ${marker} on ${topic} within 60 s`)), 60_000);
      probe.on('message', (_t, payload) => {
        if (payload.toString().includes(marker)) {
          clearTimeout(timer);
          resolve();
        }
      });
      void probe.subscribeAsync(topic, { qos: 1 });
    });
  } finally {
    await probe.endAsync();
  }
}
