import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@wattline/testing';
import { BenchContext, log, openFileLimit, round } from './context';
import { pinningFailed } from './proc';
import { markdown, type BenchResults } from './report';
import { runAggregatorBench } from './scenarios/aggregator-drain';
import { connections } from './scenarios/connections';
import { saturatedIngest } from './scenarios/ingest';
import { pipeline } from './scenarios/pipeline';
import { priceLatency } from './scenarios/price-latency';
import { retainedStorm } from './scenarios/retained';

/**
 * `npm run bench`: bounded scenarios, measured on this machine in one run side by side with
 * the Mosquitto on 127.0.0.1:1883, the broker under test pinned to one core and the load
 * generator (raw MQTT packets, bench/generator) to the other. Writes
 * bench/results/<timestamp>.json and .md (and latest.*).
 *   BENCH_ONLY: comma list of ingest, connections, retained, pipeline, latency, drain (default all)
 *   BENCH_INGEST_MESSAGES (100,000), BENCH_WINDOW (8), BENCH_RECONNECT_METERS (10,000),
 *   BENCH_IDLE_CONNECTIONS (open-file limit − 1,000), BENCH_STORM_DISPLAYS (1000,5000),
 *   BENCH_PIPELINE_METERS (1,000), BENCH_PIPELINE_READINGS (150,000), BENCH_GENERATORS (1)
 */
const ONLY = new Set((process.env.BENCH_ONLY ?? 'ingest,connections,retained,pipeline,latency,drain').split(','));

async function main(): Promise<void> {
  const started = Date.now();
  const ctx = await BenchContext.start();
  const results: BenchResults = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGiB: round(totalmem() / 2 ** 30, 1),
      node: process.version,
      openFileLimit: openFileLimit(),
    },
  };
  const step = async <T>(name: string, title: string, work: () => Promise<T>): Promise<T | undefined> => {
    if (!ONLY.has(name)) return undefined;
    log(`\n[${title}] (${Math.round((Date.now() - started) / 1000)} s into the run)`);
    return work();
  };
  try {
    results.ingest = await step('ingest', '1 saturated ingest', () => saturatedIngest(ctx));
    results.connections = await step('connections', '2–3 cold start, mass reconnect, idle connections', () => connections(ctx));
    results.retained = await step('retained', '4 retained storm', () => retainedStorm(ctx));
    results.pipeline = await step('pipeline', '5 pipeline MQTT → Kafka → PostgreSQL', () => pipeline(ctx));
    results.priceLatency = await step('latency', '5c price on the display at interval start', () => priceLatency(ctx));
    results.aggregatorDrain = await step('drain', '5b aggregator draining a backlog', async () => {
      const r = await runAggregatorBench({ brokers: ctx.kafka.brokers, databaseUrl: await ctx.database('unused'), log });
      return { readings: r.readings, readingsPerSecond: r.readingsPerSecond, seconds: r.seconds };
    });
  } finally {
    await ctx.stop();
  }
  results.machine.pinned = !pinningFailed;
  results.machine.seconds = Math.round((Date.now() - started) / 1000);
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = results.date.replace(/[:.]/g, '-');
  const table = markdown(results);
  for (const name of [stamp, 'latest']) {
    writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(results, null, 2));
    writeFileSync(path.join(dir, `${name}.md`), table);
  }
  log(`\n${table}\nwritten to bench/results/${stamp}.json and .md (${results.machine.seconds} s)`);
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`bench failed: ${error.stack}\n`);
    process.exit(1);
  },
);
