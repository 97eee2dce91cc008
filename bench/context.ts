import { execSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Client } from 'pg';
import { kafkaTopicName, type StreamTopic } from '@wattline/contracts';
import { readLondonHouseholds, slotToReading } from '@wattline/datasets';
import { DEFAULT_PRICING_MODEL } from '@wattline/domain';
import { CatalogRepository, createDataSource, runMigrations } from '@wattline/persistence';
import { hashIssuedSecret } from '@wattline/platform';
import { REPO_ROOT, expectEventually, freePort, startPlatformProcess, startRedis, type PlatformProcess } from '@wattline/testing';
import net from 'node:net';
import { Fleet } from './generator/fleet';
import { pin } from './proc';

export const log = (line: string) => process.stdout.write(`${line}\n`);
export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Core assignment on the 2-core machine: the process under test on one, the generator on the other. */
export const CORES = { broker: process.env.BENCH_BROKER_CORE ?? '1', generator: process.env.BENCH_GENERATOR_CORE ?? '0', all: '0-1' };

export const MOSQUITTO = { host: '127.0.0.1', port: 1883 };

/** Broker variants measured: 1 = one process pinned to one core (as Mosquitto); 2 = MQTT_WORKERS=2 on both cores. */
export const WORKER_VARIANTS = (process.env.BENCH_WORKERS ?? '1,2').split(',').map(Number);

/** The soft open-file limit every process here inherits (the generator and each broker hold one per connection). */
export function openFileLimit(): number {
  return Number(execSync('sh -c "ulimit -n"').toString().trim());
}

/** The 79 real London households' December readings as payloads, one list per household. */
export async function londonPayloads(): Promise<string[][]> {
  const byHome = new Map<string, string[]>();
  for await (const slot of readLondonHouseholds()) {
    let list = byHome.get(slot.lclId);
    if (!list) byHome.set(slot.lclId, (list = []));
    list.push(JSON.stringify(slotToReading(slot, list.length)));
  }
  return [...byHome.values()];
}

/** Shared services of one bench run: Kafka, a PostgreSQL database per scenario, Redis, the generator. */
export class BenchContext {
  private readonly databases: string[] = [];
  private readonly cleanups: (() => Promise<void>)[] = [];
  readonly adminUrl = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

  private constructor(
    readonly kafka: { brokers: string[]; pid: number; stop(): Promise<void> },
    readonly fleet: Fleet,
    readonly homes: string[][],
  ) {}

  static async start(): Promise<BenchContext> {
    const { startKafka } = require(path.join(REPO_ROOT, 'scripts', 'kafka', 'kafka.cjs'));
    const kafka = await startKafka({ dir: path.join(REPO_ROOT, '.data', `kafka-bench-${process.pid}`), log: (m: string) => log(m) });
    const fleet = await Fleet.start(Number(process.env.BENCH_GENERATORS ?? 1), CORES.generator);
    return new BenchContext(kafka, fleet, await londonPayloads());
  }

  /** A migrated database of its own, with one region. */
  async database(regionId: string): Promise<string> {
    const name = `wl_bench_${process.pid}_${this.databases.length}`;
    const admin = new Client({ connectionString: this.adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    this.databases.push(name);
    const url = new URL(this.adminUrl);
    url.pathname = `/${name}`;
    const dataSource = createDataSource(url.toString());
    await dataSource.initialize();
    await runMigrations(dataSource);
    await new CatalogRepository(dataSource).createRegion({
      id: regionId,
      name: regionId,
      timezone: 'Europe/London',
      pricing: DEFAULT_PRICING_MODEL,
    });
    await dataSource.destroy();
    return url.toString();
  }

  /**
   * Meters provisioned as the API does it (an issued random secret each, stored as its salted
   * SHA-256), straight into the table: 19,000 POSTs would only time the API.
   */
  async provision(databaseUrl: string, regionId: string, ids: string[]): Promise<Map<string, string>> {
    const secrets = new Map(ids.map((id) => [id, `${id}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`]));
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    for (let i = 0; i < ids.length; i += 5000) {
      const chunk = ids.slice(i, i + 5000);
      await db.query(
        `INSERT INTO meters (id, region_id, kind, password_hash) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])`,
        [chunk, chunk.map(() => regionId), chunk.map(() => 'meter'), chunk.map((id) => hashIssuedSecret(secrets.get(id)!))],
      );
    }
    await db.end();
    return secrets;
  }

  /**
   * A Mosquitto of its own (the same binary as the one on 1883, anonymous, no persistence), for
   * what a long-running reference cannot give: its resident memory per connection from a fresh
   * start (the one on 1883 keeps the high-water mark of every earlier run).
   */
  async freshMosquitto(): Promise<{ host: string; port: number; pid: number } | null> {
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'wattline-bench-mosquitto-'));
    writeFileSync(
      path.join(dir, 'mosquitto.conf'),
      `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_connections -1\n`,
    );
    const child = spawn('mosquitto', ['-c', path.join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
    const failed = await new Promise<boolean>((resolve) => {
      child.once('error', () => resolve(true));
      setTimeout(() => resolve(false), 200);
    });
    if (failed || !child.pid) return null;
    await expectEventually(
      () =>
        new Promise<boolean | undefined>((resolve) => {
          const socket = net.connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)));
          socket.on('error', () => resolve(undefined));
        }),
      { what: 'a fresh mosquitto', timeoutMs: 10_000 },
    );
    this.cleanups.push(async () => void child.kill('SIGTERM'));
    return { host: '127.0.0.1', port, pid: child.pid };
  }

  async redis(): Promise<string> {
    const redis = await startRedis();
    this.cleanups.push(() => redis.stop());
    return redis.url;
  }

  /**
   * One Wattline app as its own process, pinned to the broker's core. A broker with
   * MQTT_WORKERS > 1 is left on every core: that is what its workers are for.
   */
  async wattline(
    app: 'broker' | 'aggregator' | 'wattline',
    env: Record<string, string>,
    pinTo: string | null = CORES.broker,
  ): Promise<PlatformProcess> {
    const workers = Number(env.MQTT_WORKERS ?? 1);
    const platform = await startPlatformProcess(
      {
        LOG_LEVEL: 'log',
        MQTT_MAX_PUBLISH_RATE: '1000000',
        ALLOWED_LATENESS_SECONDS: '86400',
        IDLE_CLOSE_SECONDS: '3600',
        ...env,
      },
      {
        app,
        // BENCH_PROFILE=dir: a V8 CPU profile of each app, written when it stops (read it with profile-summary).
        nodeArgs: process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_PROFILE)}`] : [],
        readyLine:
          app === 'broker' ? (workers > 1 ? /workers up/ : /MQTT on/) : app === 'aggregator' ? /consuming readings/ : /Wattline is up/,
        timeoutMs: 120_000,
      },
    );
    if (pinTo && workers === 1) pin(platform.child.pid!, pinTo);
    return platform;
  }

  /** Records in a stream topic (end offsets summed over partitions): what Kafka holds. */
  async topicRecords(prefix: string, topic: StreamTopic): Promise<number> {
    const admin: Admin = new Kafka({ clientId: 'bench-admin', brokers: this.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(kafkaTopicName(topic, prefix));
      return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
    } finally {
      await admin.disconnect();
    }
  }

  async stop(): Promise<void> {
    await this.fleet.stop();
    for (const cleanup of this.cleanups.reverse()) await cleanup().catch(() => undefined);
    await this.kafka.stop();
    const admin = new Client({ connectionString: this.adminUrl });
    await admin.connect();
    for (const name of this.databases) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

/** Reads one counter or gauge from an app's /metrics. */
export async function metric(httpUrl: string, name: string): Promise<number> {
  const text = await fetch(`${httpUrl}/metrics`).then((r) => r.text());
  return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)`, 'm').exec(text)?.[1] ?? 0);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const progress = (label: string, total: number) => {
  let last = 0;
  return (done: number) => {
    const now = Date.now();
    if (now - last < 1000 && done < total) return;
    last = now;
    log(`  ${label}: ${done}/${total} (${Math.round((100 * done) / Math.max(total, 1))}%)`);
  };
};
