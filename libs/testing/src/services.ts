import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'pg';

/** A free TCP port on loopback (the machine's own services hold 1883, 5432, 6379). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

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
