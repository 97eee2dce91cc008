import { mqttTopics } from '@wattline/contracts';
import { BenchContext, log, metric, progress, round, sleep } from '../context';
import { measureCpu } from '../proc';

export interface PipelineResult {
  description: string;
  meters: number;
  readings: number;
  acknowledgedPerSecond: number;
  /** Stored by the aggregator while the meters were sending. */
  storedPerSecondDuringIngest: number;
  /** Acknowledged but not yet stored, when the last PUBACK came. */
  lagAtEndOfIngest: number;
  /** From the last PUBACK until PostgreSQL held every reading. */
  drainSeconds: number;
  /** Acknowledged − stored, once a second. */
  lagSamples: { t: number; acknowledged: number; stored: number }[];
  brokerCpuSeconds: number;
  aggregatorCpuSeconds: number;
  kafkaCpuSeconds: number;
  keepsUp: boolean;
}

const METERS = Number(process.env.BENCH_PIPELINE_METERS ?? 1000);
const READINGS = Number(process.env.BENCH_PIPELINE_READINGS ?? 150_000);

/**
 * Scenario 5: MQTT → Kafka → PostgreSQL, the broker app and the aggregator app as their own
 * processes (as scaled out), the meters saturating the broker. The aggregator keeps up when
 * what is stored grows as fast as what is acknowledged (the lag does not grow).
 */
export async function pipeline(ctx: BenchContext): Promise<PipelineResult> {
  const perMeter = Math.ceil(READINGS / METERS);
  const ids = Array.from({ length: METERS }, (_, i) => `pipe-${String(i).padStart(5, '0')}`);
  const payloads = ids.map((_, i) => ctx.homes[i % ctx.homes.length].slice(0, perMeter));
  const total = payloads.reduce((s, p) => s + p.length, 0);
  const databaseUrl = await ctx.database('bench');
  const secrets = await ctx.provision(databaseUrl, 'bench', ids);
  const env = { KAFKA_BROKERS: ctx.kafka.brokers.join(','), KAFKA_TOPIC_PREFIX: `benchpipe${Date.now()}.`, DATABASE_URL: databaseUrl };
  const broker = await ctx.wattline('broker', env);
  const aggregator = await ctx.wattline('aggregator', env, null);
  try {
    await ctx.fleet.connect(
      { host: '127.0.0.1', port: broker.ports.mqtt },
      ids.map((id) => ({ clientId: id, username: id, password: secrets.get(id)! })),
      { inFlight: 500 },
    );
    const samples: PipelineResult['lagSamples'] = [];
    let acknowledged = 0;
    let sending = true;
    const t0 = Date.now();
    const sampler = (async () => {
      while (sending || samples.at(-1)!.stored < total) {
        samples.push({
          t: round((Date.now() - t0) / 1000, 1),
          acknowledged,
          stored: await metric(aggregator.httpUrl, 'wattline_readings_stored_total'),
        });
        if (Date.now() - t0 > 10 * 60_000) throw new Error(`the aggregator stored ${samples.at(-1)!.stored} of ${total} in 10 minutes`);
        await sleep(1000);
      }
    })();
    const show = progress('pipeline acknowledged', total);
    const { result, cpu } = await measureCpu(
      { broker: broker.child.pid!, aggregator: aggregator.child.pid!, kafka: ctx.kafka.pid },
      async () => {
        const ingest = await ctx.fleet.publish(
          { qos: 1, window: 8, topics: ids.map((id) => mqttTopics.readings(id)), payloads },
          (done) => {
            acknowledged = done;
            show(done);
          },
        );
        acknowledged = ingest.count;
        const endOfIngest = { t: Date.now(), stored: await metric(aggregator.httpUrl, 'wattline_readings_stored_total') };
        sending = false;
        await sampler;
        return { ingest, endOfIngest, drained: Date.now() };
      },
    );
    await ctx.fleet.close(true);
    const ingestSeconds = result.ingest.seconds;
    const stored = await metric(aggregator.httpUrl, 'wattline_readings_stored_total');
    if (stored !== total) throw new Error(`the aggregator stored ${stored} readings, ${total} were acknowledged`);
    const out: PipelineResult = {
      description: `${METERS} meters × ${perMeter} real LCL readings, QoS 1, 8 in flight each; broker app (pinned) and aggregator app (unpinned) through Kafka into PostgreSQL`,
      meters: METERS,
      readings: total,
      acknowledgedPerSecond: Math.round(total / ingestSeconds),
      storedPerSecondDuringIngest: Math.round(result.endOfIngest.stored / ingestSeconds),
      lagAtEndOfIngest: total - result.endOfIngest.stored,
      drainSeconds: round((result.drained - result.endOfIngest.t) / 1000, 1),
      lagSamples: samples,
      brokerCpuSeconds: cpu.broker,
      aggregatorCpuSeconds: cpu.aggregator,
      kafkaCpuSeconds: cpu.kafka,
      keepsUp: total - result.endOfIngest.stored <= Math.max(5000, total * 0.05),
    };
    log(
      `  pipeline: ${out.acknowledgedPerSecond}/s acknowledged, ${out.storedPerSecondDuringIngest}/s stored meanwhile, lag ${out.lagAtEndOfIngest} at the end, drained ${out.drainSeconds} s later`,
    );
    return out;
  } finally {
    await aggregator.stop();
    await broker.stop();
  }
}
