import { Test, type TestingModule } from '@nestjs/testing';
import type { Provider } from '@nestjs/common';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import Redis from 'ioredis';
import { createDataSource, freePort } from '@wattline/persistence';
import type { DataSource } from 'typeorm';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'pg';

export { freePort } from '@wattline/persistence';

/** The repository root, whether this runs from source (tests) or from dist/ (benchmarks). */
export const REPO_ROOT = findRepoRoot(__dirname);

function findRepoRoot(start: string): string {
  for (let dir = start; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'nest-cli.json'))) return dir;
  }
  throw new Error(`no nest-cli.json above ${start}`);
}

/** Environment the global set-up leaves for every test file. */
export function testServices(): { kafkaBrokers: string; databaseAdminUrl: string; templateDatabase: string } {
  const kafkaBrokers = process.env.WATTLINE_TEST_KAFKA_BROKERS;
  const databaseAdminUrl = process.env.WATTLINE_TEST_DATABASE_ADMIN_URL;
  const templateDatabase = process.env.WATTLINE_TEST_TEMPLATE_DATABASE;
  if (!kafkaBrokers || !databaseAdminUrl || !templateDatabase) {
    throw new Error('test services are not set up: run the suite through jest (its globalSetup starts them)');
  }
  return { kafkaBrokers, databaseAdminUrl, templateDatabase };
}

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * A database of one's own: a copy of the migrated template (`CREATE DATABASE … TEMPLATE`),
 * or an empty one when `empty` (to exercise migrations). Dropped by `drop()`.
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const { databaseAdminUrl, templateDatabase } = testServices();
  const name = `wl_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new Client({ connectionString: databaseAdminUrl });
  await admin.connect();
  try {
    await admin.query(options.empty ? `CREATE DATABASE ${name}` : `CREATE DATABASE ${name} TEMPLATE ${templateDatabase}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: databaseUrl(databaseAdminUrl, name),
    drop: async () => {
      const client = new Client({ connectionString: databaseAdminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** One unlabelled sample of a process's /metrics (0 when it has none yet). */
export async function metricValue(httpUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const sample = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return sample ? Number(sample[1]) : 0;
}

/** Polls `probe` until it returns a value (not undefined) or the deadline passes. Never sleeps blindly. */
export async function expectEventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${options.what ?? 'condition'}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

/**
 * A Redis of one's own: a fresh `redis-server` on a free port (nothing shared with other test
 * files), or, where the binary is missing, a numbered database of the local Redis, flushed.
 * `kill()` and `restart()` (same port, empty, as after a crash) are for outage tests.
 */
export async function startRedis(
  options: { persistent?: boolean } = {},
): Promise<{ url: string; stop(): Promise<void>; kill(): Promise<void>; restart(): Promise<void> }> {
  if (spawnSync('redis-server', ['--version']).status === 0) {
    const port = await freePort();
    // persistent: an append-only file, as a production Redis keeps, so a restart brings the data back.
    const storage = options.persistent
      ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', mkdtempSync(path.join(tmpdir(), 'wattline-redis-'))]
      : ['--appendonly', 'no'];
    let child: ReturnType<typeof spawn>;
    const launch = async () => {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...storage], { stdio: 'ignore' });
      await expectEventually(
        () =>
          new Promise<boolean | undefined>((resolve) => {
            const socket = net.connect(port, '127.0.0.1', () => {
              socket.destroy();
              resolve(true);
            });
            socket.on('error', () => resolve(undefined));
          }),
        { what: 'redis-server', timeoutMs: 10_000 },
      );
    };
    const end = (signal: NodeJS.Signals) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      });
    await launch();
    return { url: `redis://127.0.0.1:${port}`, stop: () => end('SIGTERM'), kill: () => end('SIGKILL'), restart: launch };
  }
  const db = 1 + Math.floor(Math.random() * 15);
  const url = `redis://127.0.0.1:6379/${db}`;
  const redis = new Redis(url);
  await redis.flushdb();
  await redis.quit();
  const unsupported = async () => {
    throw new Error('redis-server is not installed: outage tests need a Redis of their own');
  };
  return { url, stop: async () => undefined, kill: unsupported, restart: unsupported };
}

/**
 * Sends one hand-encoded CONNECT (MQTT 3.1.1, [MQTT-3.1]) and returns the CONNACK return code
 * (or 'closed'): for packets client libraries refuse to send, such as an empty client id
 * without a clean session.
 */
export async function rawConnect(
  url: string,
  connect: { clientId: string; clean: boolean; username?: string; password?: string; keepaliveSeconds?: number },
  options: { hold?: (socket: net.Socket) => void } = {},
): Promise<number | 'closed'> {
  const str = (value: string) => {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
  };
  const flags = (connect.username ? 0x80 : 0) | (connect.password ? 0x40 : 0) | (connect.clean ? 0x02 : 0);
  const body = Buffer.concat([
    str('MQTT'),
    Buffer.from([4, flags, 0, connect.keepaliveSeconds ?? 30]), // protocol level 4, flags, keep-alive
    str(connect.clientId),
    ...(connect.username ? [str(connect.username)] : []),
    ...(connect.password ? [str(connect.password)] : []),
  ]);
  if (body.length > 127) throw new Error('rawConnect keeps to one-byte remaining lengths');
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body])));
    socket.on('data', (chunk) => {
      // CONNACK: 0x20, remaining length 2, session present, return code
      if (chunk[0] === 0x20) {
        // `hold` keeps the connection (and says nothing more on it); otherwise it is closed.
        if (options.hold) options.hold(socket);
        else socket.destroy();
        resolve(chunk[3]);
      }
    });
    socket.on('close', () => resolve('closed'));
    socket.on('error', () => resolve('closed'));
  });
}

/**
 * A piece of an app built by Nest's dependency injection, as the app builds it, from the
 * providers given (e.g. the aggregator's clock pass and `platformProviders` on a test database):
 * tests wire nothing by hand, so a new step or repository reaches them by itself.
 */
export async function compileProviders(providers: Provider[]): Promise<TestingModule> {
  return Test.createTestingModule({ providers }).compile();
}

/** A test file's own database, as `useTestDatabase` hands it out once its `beforeAll` has run. */
export interface TestDatabase {
  readonly dataSource: DataSource;
  readonly url: string;
}

/**
 * A database of this test file's (or describe block's) own — a clone of the migrated template —
 * with a data source on it, created before its tests and dropped after them. Call it in the
 * describe block; read `dataSource` inside hooks and tests.
 */
export function useTestDatabase(options: { poolSize?: number } = {}): TestDatabase {
  let db: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let dataSource: DataSource | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = createDataSource(db.url, options);
    await dataSource.initialize();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the test database is made in beforeAll: read it inside a hook or a test');
    return value;
  };
  return {
    get dataSource() {
      return ready(dataSource);
    },
    get url() {
      return ready(db).url;
    },
  };
}
