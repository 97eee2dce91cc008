import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { readLondonHouseholds, slotToReading, type HouseholdSlot } from '@wattline/datasets';
import { REPO_ROOT, restClient, startPlatformProcess, startRedis, expectEventually } from '@wattline/testing';
import { runPublishLoad, round, type LoadClient, type LoadResult } from './mqtt-load';
import { runAggregatorBench } from './aggregator-throughput';
import { mosquittoReconnect, runMassReconnect } from './mass-reconnect';

/**
 * `npm run bench`: measured on this machine, in one run, side by side with the Mosquitto
 * that runs here (127.0.0.1:1883). Writes bench/results/latest.json (and a dated copy).
 *   BENCH_METERS (default 50), BENCH_READINGS_PER_METER (400), BENCH_AGGREGATOR_READINGS (all 106,176),
 *   BENCH_RECONNECT_METERS (10,000), BENCH_ONLY (comma list of ingest, aggregator, reconnect; default all)
 */
const METERS = Number(process.env.BENCH_METERS ?? 50);
const PER_METER = Number(process.env.BENCH_READINGS_PER_METER ?? 400);
const ONLY = new Set((process.env.BENCH_ONLY ?? 'ingest,aggregator,reconnect').split(','));
const log = (line: string) => process.stdout.write(`${line}\n`);
const bar = (label: string) => (done: number, total: number) => log(`  ${label}: ${done}/${total} (${Math.round((100 * done) / total)}%)`);

async function loadHomes(): Promise<Map<string, HouseholdSlot[]>> {
  const homes = new Map<string, HouseholdSlot[]>();
  for await (const slot of readLondonHouseholds()) {
    if (!homes.has(slot.lclId)) {
      if (homes.size >= METERS) break;
      homes.set(slot.lclId, []);
    }
    homes.get(slot.lclId)!.push(slot);
  }
  return homes;
}

async function wattlineIngest(name: string, env: Record<string, string>, homes: Map<string, HouseholdSlot[]>): Promise<LoadResult> {
  log(`\n[${name}] starting the platform`);
  // Each bench meter sends 400 readings back to back: lift the per-client publish rate limit,
  // which would otherwise (rightly) slow such a meter to 20 readings/s after its burst.
  const platform = await startPlatformProcess({ ...env, LOG_LEVEL: 'error', ALLOWED_LATENESS_SECONDS: '86400', IDLE_CLOSE_SECONDS: '3600', MQTT_MAX_PUBLISH_RATE: '1000000' });
  try {
    const api = restClient(platform.httpUrl, platform.adminKey);
    await api.post('/v1/regions', { id: 'london', name: 'London' });
    const clients: LoadClient[] = [];
    for (const [id, slots] of homes) {
      const { body } = await api.post('/v1/meters', { id, regionId: 'london' });
      clients.push({ clientId: id, username: id, password: body.mqtt.password, topic: `meters/${id}/readings`, payloads: slots.slice(0, PER_METER).map((s) => JSON.stringify(slotToReading(s))) });
    }
    log(`[${name}] ${clients.length} meters × ${PER_METER} readings at QoS 1`);
    const result = await runPublishLoad(platform.mqttUrl, clients, bar(name));
    // Every acknowledged reading must be stored: the benchmark checks what it measures.
    await expectEventually(async () => {
      const { body } = await api.get('/v1/regions/london/aggregates?from=2013-12-01T00:00:00Z&to=2014-01-01T00:00:00Z&limit=10000');
      const stored = body.items.reduce((sum: number, a: { readings: number }) => sum + a.readings, 0);
      return stored === result.messages ? true : undefined;
    }, { timeoutMs: 120_000, what: 'all readings stored' });
    log(`[${name}] ${result.perSecond} readings/s acknowledged, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms; all ${result.messages} stored`);
    return result;
  } finally {
    await platform.stop();
  }
}

async function mosquittoIngest(homes: Map<string, HouseholdSlot[]>): Promise<LoadResult | null> {
  log('\n[mosquitto] the local Mosquitto on 127.0.0.1:1883, same clients and payloads');
  const clients: LoadClient[] = [...homes].map(([id, slots]) => ({
    clientId: `bench-${id}`,
    topic: `meters/${id}/readings`,
    payloads: slots.slice(0, PER_METER).map((s) => JSON.stringify(slotToReading(s))),
  }));
  try {
    const result = await runPublishLoad('mqtt://127.0.0.1:1883', clients, bar('mosquitto'));
    log(`[mosquitto] ${result.perSecond} messages/s acknowledged, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms`);
    return result;
  } catch (error) {
    log(`[mosquitto] not reachable on 127.0.0.1:1883 (${(error as Error).message}); no reference this run`);
    return null;
  }
}

async function main(): Promise<void> {
  const homes = await loadHomes();
  const { startKafka } = require(path.join(REPO_ROOT, 'scripts', 'kafka', 'kafka.cjs'));
  const kafka = await startKafka({ dir: path.join(REPO_ROOT, '.data', `kafka-bench-${process.pid}`), log: (m: string) => log(`[kafka] ${m}`) });
  const adminUrl = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const databases: string[] = [];
  const newDatabase = async () => {
    const name = `wl_bench_${process.pid}_${databases.length}`;
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    databases.push(name);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return url.toString();
  };
  try {
    let ingestQos1 = null;
    if (ONLY.has('ingest')) {
      const embeddedDir = path.join(REPO_ROOT, '.data', `bench-embedded-${process.pid}`);
      const inProcess = await wattlineIngest('wattline in-process stream + embedded PostgreSQL', { DATA_DIR: embeddedDir }, homes);
      const withKafka = await wattlineIngest('wattline Kafka + PostgreSQL', { KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_TOPIC_PREFIX: `bench${Date.now()}.`, DATABASE_URL: await newDatabase() }, homes);
      const mosquitto = await mosquittoIngest(homes);
      const ratio = (r: LoadResult) => (mosquitto ? round(r.perSecond / mosquitto.perSecond, 3) : null);
      ingestQos1 = {
        description: `${METERS} meters, ${PER_METER} real LCL readings each, QoS 1, each waiting for its PUBACK before the next`,
        wattlineInProcess: { ...inProcess, ratioToMosquitto: ratio(inProcess) },
        wattlineKafka: { ...withKafka, ratioToMosquitto: ratio(withKafka) },
        mosquitto,
      };
    }
    let aggregator = null;
    if (ONLY.has('aggregator')) {
      log('\n[aggregator] Kafka in, PostgreSQL out');
      aggregator = await runAggregatorBench({ brokers: kafka.brokers, databaseUrl: await newDatabase(), log });
    }

    let massReconnect = null;
    if (ONLY.has('reconnect')) {
      const reconnectMeters = Number(process.env.BENCH_RECONNECT_METERS ?? 10_000);
      log(`\n[mass reconnect] ${reconnectMeters} meters, Redis-shared credential cache, external PostgreSQL`);
      const redis = await startRedis();
      try {
        const reconnect = await runMassReconnect({ databaseUrl: await newDatabase(), redisUrl: redis.url, meters: reconnectMeters, concurrency: 200, log });
        const mosquittoStorm = await mosquittoReconnect(reconnectMeters, 200, log);
        massReconnect = {
          ...reconnect,
          mosquitto: mosquittoStorm,
          ratioToMosquitto: mosquittoStorm ? round(reconnect.massReconnect.connectsPerSecond / mosquittoStorm.connectsPerSecond, 3) : null,
        };
      } finally {
        await redis.stop();
      }
    }
    const results = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version },
      ingestQos1,
      aggregator,
      massReconnect,
    };
    mkdirSync(path.join(REPO_ROOT, 'bench', 'results'), { recursive: true });
    const body = JSON.stringify(results, null, 2);
    writeFileSync(path.join(REPO_ROOT, 'bench', 'results', 'latest.json'), body);
    writeFileSync(path.join(REPO_ROOT, 'bench', 'results', `${results.date.replace(/[:.]/g, '-')}.json`), body);
    log(`\nsummary (bench/results/latest.json):`);
    if (ingestQos1) {
      log(`  QoS 1 ingest, in-process: ${ingestQos1.wattlineInProcess.perSecond}/s (${ingestQos1.wattlineInProcess.ratioToMosquitto ?? '–'}× Mosquitto)`);
      log(`  QoS 1 ingest, Kafka:      ${ingestQos1.wattlineKafka.perSecond}/s (${ingestQos1.wattlineKafka.ratioToMosquitto ?? '–'}× Mosquitto)`);
      log(`  Mosquitto:                ${ingestQos1.mosquitto?.perSecond ?? '–'}/s`);
    }
    if (aggregator) log(`  aggregator store rate:    ${aggregator.readingsPerSecond} readings/s (${aggregator.readings} readings, Kafka → PostgreSQL)`);
    if (massReconnect) {
      const { coldStart, massReconnect: storm, mosquitto } = massReconnect;
      log(`  mass reconnect:           ${storm.connectsPerSecond} connects/s with ${storm.databaseQueries} database reads (${massReconnect.ratioToMosquitto ?? '–'}× Mosquitto's ${mosquitto?.connectsPerSecond ?? '–'}/s); cold start ${coldStart.connectsPerSecond}/s with ${coldStart.databaseQueries} reads`);
    }
  } finally {
    await kafka.stop();
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`bench failed: ${error.stack}\n`);
    process.exit(1);
  },
);
