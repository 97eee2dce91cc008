import { mqttTopics } from '@wattline/contracts';
import { BenchContext, CORES, MOSQUITTO, WORKER_VARIANTS, log, progress, round } from '../context';
import type { FleetResult } from '../generator/fleet';
import { measureCpu, pidOf, pin } from '../proc';

export interface IngestRun {
  /** Wattline: broker processes (MQTT_WORKERS). */
  workers?: number;
  meters: number;
  qos: 0 | 1;
  window: number;
  messages: number;
  perSecond: number;
  latencyMs: FleetResult['latencyMs'];
  brokerCpuSeconds: number;
  brokerCpuMicrosPerMessage: number;
  generatorCpuSeconds: number;
  kafkaCpuSeconds?: number;
  /** Wattline only: records Kafka holds for the run = readings acknowledged. */
  storedInKafka?: number;
}

export interface IngestResult {
  description: string;
  wattline: IngestRun[];
  mosquitto: IngestRun[];
  ratios: { workers: number; meters: number; qos: 0 | 1; ratio: number | null }[];
}

const WINDOW = Number(process.env.BENCH_WINDOW ?? 8);
const MESSAGES = Number(process.env.BENCH_INGEST_MESSAGES ?? 100_000);
const SHAPES: { meters: number; qos: 0 | 1 }[] = [
  { meters: 100, qos: 1 },
  { meters: 1000, qos: 1 },
  { meters: 100, qos: 0 },
  { meters: 1000, qos: 0 },
];

/**
 * Scenario 1, saturated ingest: `meters` connections each keeping WINDOW QoS 1 publishes in
 * flight (or writing QoS 0 as fast as the socket takes them), real LCL readings. Wattline is
 * the broker app alone with everything on: authentication, ACL, validation and the hand-off
 * to Kafka with acks=all before the PUBACK. Mosquitto routes plain QoS 1 to no subscriber.
 */
export async function saturatedIngest(ctx: BenchContext): Promise<IngestResult> {
  const runs = SHAPES.map((shape, r) => {
    const perMeter = Math.ceil(MESSAGES / shape.meters);
    const ids = Array.from({ length: shape.meters }, (_, i) => `ingest${r}-${String(i).padStart(5, '0')}`);
    // Each meter replays one real household from its first half hour; ids differ per run, so no reading repeats.
    const payloads = ids.map((_, i) => {
      const home = ctx.homes[i % ctx.homes.length];
      return Array.from({ length: perMeter }, (__, k) => home[k % home.length]);
    });
    return { ...shape, ids, payloads, topics: ids.map((id) => mqttTopics.readings(id)) };
  });

  const databaseUrl = await ctx.database('bench');
  const secrets = await ctx.provision(
    databaseUrl,
    'bench',
    runs.flatMap((r) => r.ids),
  );
  const wattline: IngestRun[] = [];
  for (const workers of WORKER_VARIANTS) {
    const prefix = `benchingest${workers}w${Date.now()}.`;
    // Two or more workers share their state through Redis, as scaled-out instances do.
    const shared: Record<string, string> = workers > 1 ? { MQTT_WORKERS: String(workers), REDIS_URL: await ctx.redis() } : {};
    const broker = await ctx.wattline('broker', {
      KAFKA_BROKERS: ctx.kafka.brokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      DATABASE_URL: databaseUrl,
      ...shared,
    });
    const target = { host: '127.0.0.1', port: broker.ports.mqtt };
    try {
      for (const run of runs) {
        const label = `wattline (${workers} worker${workers > 1 ? 's' : ''}) ${run.meters} meters QoS ${run.qos}`;
        await ctx.fleet.connect(
          target,
          run.ids.map((id) => ({ clientId: id, username: id, password: secrets.get(id)! })),
          { inFlight: 500 },
        );
        const before = await ctx.topicRecords(prefix, 'readings').catch(() => 0);
        const total = run.payloads.reduce((s, p) => s + p.length, 0);
        const { result, cpu } = await measureCpu({ broker: broker.child.pid!, kafka: ctx.kafka.pid }, () =>
          ctx.fleet.publish({ qos: run.qos, window: WINDOW, topics: run.topics, payloads: run.payloads }, progress(label, total)),
        );
        // The fence of a QoS 0 run is itself a reading: one more per meter.
        const storedInKafka = (await ctx.topicRecords(prefix, 'readings')) - before;
        await ctx.fleet.close(true);
        wattline.push({ workers, ...summarise(run, result, cpu.broker, cpu.kafka, storedInKafka) });
        log(
          `  ${label}: ${wattline.at(-1)!.perSecond}/s, broker ${wattline.at(-1)!.brokerCpuMicrosPerMessage} µs CPU a message, Kafka holds ${storedInKafka}`,
        );
        const expected = result.count + (run.qos === 0 ? run.meters : 0);
        if (storedInKafka !== expected)
          throw new Error(`${label}: ${expected} readings taken (fences included) but Kafka holds ${storedInKafka}`);
      }
    } finally {
      await broker.stop();
    }
  }

  const mosquitto: IngestRun[] = [];
  const pid = pidOf('mosquitto');
  if (pid) {
    pin(pid, CORES.broker);
    try {
      for (const run of runs) {
        const label = `mosquitto ${run.meters} meters QoS ${run.qos}`;
        await ctx.fleet.connect(
          MOSQUITTO,
          run.ids.map((id) => ({ clientId: `bench-${id}` })),
          { inFlight: 500 },
        );
        const total = run.payloads.reduce((s, p) => s + p.length, 0);
        const { result, cpu } = await measureCpu({ broker: pid }, () =>
          ctx.fleet.publish({ qos: run.qos, window: WINDOW, topics: run.topics, payloads: run.payloads }, progress(label, total)),
        );
        await ctx.fleet.close(true);
        mosquitto.push(summarise(run, result, cpu.broker));
        log(`  ${label}: ${mosquitto.at(-1)!.perSecond}/s, broker ${mosquitto.at(-1)!.brokerCpuMicrosPerMessage} µs CPU a message`);
      }
    } finally {
      pin(pid, CORES.all);
    }
  } else log('  mosquitto is not running on this machine: no reference this run');

  return {
    description: `${MESSAGES} real LCL readings per run; QoS 1 with ${WINDOW} in flight per meter, QoS 0 written as fast as the socket drains (a QoS 1 fence per meter ends the run); Wattline: broker app with auth, ACL, validation, Kafka acks=all, one process pinned to one core or MQTT_WORKERS=2 on both (sharing the machine with the generator and Kafka); Mosquitto ${MOSQUITTO.host}:${MOSQUITTO.port}, anonymous`,
    wattline,
    mosquitto,
    ratios: wattline.map((w) => {
      const m = mosquitto.find((r) => r.meters === w.meters && r.qos === w.qos);
      return { workers: w.workers ?? 1, meters: w.meters, qos: w.qos, ratio: m ? round(w.perSecond / m.perSecond, 3) : null };
    }),
  };
}

function summarise(
  run: { meters: number; qos: 0 | 1 },
  result: FleetResult,
  brokerCpu: number,
  kafkaCpu?: number,
  storedInKafka?: number,
): IngestRun {
  return {
    meters: run.meters,
    qos: run.qos,
    window: run.qos === 1 ? WINDOW : 0,
    messages: result.count,
    perSecond: Math.round(result.count / result.seconds),
    latencyMs: result.latencyMs,
    brokerCpuSeconds: brokerCpu,
    brokerCpuMicrosPerMessage: round((brokerCpu * 1e6) / Math.max(result.count, 1), 1),
    generatorCpuSeconds: result.generatorCpuSeconds,
    ...(kafkaCpu === undefined ? {} : { kafkaCpuSeconds: kafkaCpu }),
    ...(storedInKafka === undefined ? {} : { storedInKafka }),
  };
}
