import mqtt from 'mqtt';
import { mqttTopics, pricePayloadSchema } from '@wattline/contracts';
import { BenchContext, log, round, sleep } from '../context';

export interface PriceLatencyResult {
  description: string;
  intervalSeconds: number;
  boundaries: number;
  /** Display receipt − validFrom of each new price in force, ms (negative: before the interval began). */
  latencyMs: { p50: number; max: number; min: number; samples: number[] };
  bases: Record<string, number>;
}

const INTERVAL_SECONDS = Number(process.env.BENCH_LATENCY_INTERVAL_SECONDS ?? 5);
const BOUNDARIES = Number(process.env.BENCH_LATENCY_BOUNDARIES ?? 8);

/**
 * Scenario 5b, price on the display at interval start: the broker app and the aggregator app
 * (Kafka, PostgreSQL) with short intervals, a meter reporting every second in wall-clock time
 * (so the region's event time is now), and a display subscribed to the retained current price.
 * Each time the price in force moves to a new interval, the display's receipt time is compared
 * with that interval's start: how late (or early) a household learns the price it is paying.
 */
export async function priceLatency(ctx: BenchContext): Promise<PriceLatencyResult> {
  const databaseUrl = await ctx.database('bench');
  const secrets = await ctx.provision(databaseUrl, 'bench', ['clock-meter']);
  const env = {
    KAFKA_BROKERS: ctx.kafka.brokers.join(','),
    KAFKA_TOPIC_PREFIX: `benchlatency${Date.now()}.`,
    DATABASE_URL: databaseUrl,
    INTERVAL_SECONDS: String(INTERVAL_SECONDS),
    ALLOWED_LATENESS_SECONDS: '0',
    ALLOW_ANONYMOUS_DISPLAYS: 'true',
  };
  const broker = await ctx.wattline('broker', env);
  const aggregator = await ctx.wattline('aggregator', env, null);
  const meter = await mqtt.connectAsync(broker.mqttUrl, {
    clientId: 'clock-meter',
    username: 'clock-meter',
    password: secrets.get('clock-meter')!,
    reconnectPeriod: 0,
  });
  const display = await mqtt.connectAsync(broker.mqttUrl, { clientId: `display-${Date.now()}`, reconnectPeriod: 0 });
  const seen = new Map<string, { receivedAt: number; basis: string }>();
  display.on('message', (_topic, payload) => {
    const price = pricePayloadSchema.safeParse(JSON.parse(payload.toString()));
    if (price.success && !seen.has(price.data.validFrom))
      seen.set(price.data.validFrom, { receivedAt: Date.now(), basis: price.data.basis });
  });
  try {
    await display.subscribeAsync(mqttTopics.currentPrice('bench'), { qos: 1 });
    const ticker = setInterval(() => {
      // A second's consumption, stamped now: the region's clock is the wall clock.
      void meter
        .publishAsync(mqttTopics.readings('clock-meter'), JSON.stringify({ ts: Date.now(), periodS: 1, consumptionWh: 0.1 }), { qos: 1 })
        .catch(() => undefined);
    }, 1000);
    const deadline = Date.now() + (BOUNDARIES + 3) * INTERVAL_SECONDS * 1000 + 20_000;
    // The first price seen may be the one retained before the clock started: only prices of intervals that began while watching count.
    const startedAt = Date.now();
    const counted = () => [...seen].filter(([validFrom]) => Date.parse(validFrom) > startedAt);
    while (counted().length < BOUNDARIES && Date.now() < deadline) await sleep(200);
    clearInterval(ticker);
    const samples = counted().map(([validFrom, s]) => s.receivedAt - Date.parse(validFrom));
    if (samples.length < BOUNDARIES) throw new Error(`only ${samples.length} of ${BOUNDARIES} interval starts reached the display`);
    const sorted = [...samples].sort((a, b) => a - b);
    const bases: Record<string, number> = {};
    for (const [, s] of counted()) bases[s.basis] = (bases[s.basis] ?? 0) + 1;
    const result: PriceLatencyResult = {
      description: `${INTERVAL_SECONDS}-second intervals, one meter reporting every second in wall-clock time; broker app and aggregator app through Kafka and PostgreSQL; a display subscribed to the retained current price`,
      intervalSeconds: INTERVAL_SECONDS,
      boundaries: samples.length,
      latencyMs: { p50: round(sorted[Math.floor(sorted.length / 2)], 0), max: round(sorted.at(-1)!, 0), min: round(sorted[0], 0), samples },
      bases,
    };
    log(
      `  price on the display: p50 ${result.latencyMs.p50} ms, max ${result.latencyMs.max} ms after the interval began (${JSON.stringify(bases)})`,
    );
    return result;
  } finally {
    await display.endAsync(true);
    await meter.endAsync(true);
    await aggregator.stop();
    await broker.stop();
  }
}
