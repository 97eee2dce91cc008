import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { freePort } from '@wattline/persistence';
import { expectEventually } from './services';

export interface RedisClusterNode {
  port: number;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** Starts it again on its port and its cluster config (it rejoins as a replica once its replica took over). */
  restart(): Promise<void>;
}

export interface RedisCluster {
  /** `host:port` of every node, for ioredis' Cluster or a `redis-cluster://` URL. */
  seeds: { host: string; port: number }[];
  nodes: RedisClusterNode[];
  /** Resolves once every node says cluster_state:ok and each primary has a synced replica (after a restart: the node rejoined). */
  healthy(): Promise<void>;
  /** The node serving `key`'s slot as primary now. */
  primaryOf(key: string): Promise<RedisClusterNode>;
  stop(): Promise<void>;
}

/**
 * A real Redis Cluster from Debian's `redis-server`: `primaries` primaries and as many
 * replicas on free ports, created with `redis-cli --cluster create … --cluster-replicas 1`,
 * ready once every node says `cluster_state:ok`. Each node keeps its cluster config (and an
 * append-only file) in a directory of its own, so a killed node restarts as the same node.
 */
export async function startRedisCluster(options: { primaries?: number; nodeTimeoutMs?: number } = {}): Promise<RedisCluster> {
  if (spawnSync('redis-server', ['--version']).status !== 0) throw new Error('redis-server is not installed: a Redis Cluster needs it');
  const count = (options.primaries ?? 3) * 2;
  const dir = mkdtempSync(path.join(tmpdir(), 'wattline-redis-cluster-'));
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await freePort());
  const children = new Map<number, ChildProcess>();

  const launch = async (port: number) => {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        path.join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        String(options.nodeTimeoutMs ?? 2000),
        '--appendonly',
        'yes',
        '--appendfilename',
        `appendonly-${port}.aof`,
        '--appenddirname',
        `aof-${port}`,
        '--dir',
        dir,
        '--save',
        '',
      ],
      { stdio: 'ignore' },
    );
    children.set(port, child);
    await expectEventually(
      async () => {
        const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
        try {
          await redis.connect();
          return (await redis.ping()) === 'PONG' ? true : undefined;
        } catch {
          return undefined;
        } finally {
          redis.disconnect();
        }
      },
      { what: `redis-server on ${port}`, timeoutMs: 10_000 },
    );
  };
  const end = (port: number, signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      const child = children.get(port);
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });

  await Promise.all(ports.map(launch));
  const created = spawnSync(
    'redis-cli',
    ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}\n${created.stderr}`);
  await waitUntilOk(ports);

  const nodes: RedisClusterNode[] = ports.map((port) => ({
    port,
    kill: () => end(port, 'SIGKILL'),
    restart: () => launch(port),
  }));
  return {
    seeds: ports.map((port) => ({ host: '127.0.0.1', port })),
    nodes,
    healthy: () => waitUntilOk(ports),
    async primaryOf(key: string) {
      const cluster = new Redis.Cluster(
        ports.map((port) => ({ host: '127.0.0.1', port })),
        { lazyConnect: false },
      );
      try {
        const slot = Number(await cluster.call('CLUSTER', 'KEYSLOT', key));
        const slots = (await cluster.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]]][];
        const range = slots.find(([from, to]) => slot >= from && slot <= to)!;
        return nodes.find((n) => n.port === range[2][1])!;
      } finally {
        cluster.disconnect();
      }
    },
    async stop() {
      await Promise.all(ports.map((port) => end(port, 'SIGTERM')));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitUntilOk(ports: number[]): Promise<void> {
  await expectEventually(
    async () => {
      for (const port of ports) {
        const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
        try {
          await redis.connect();
          const info = String(await redis.call('CLUSTER', 'INFO'));
          if (!info.includes('cluster_state:ok')) return undefined;
          // A replica takes over only once it has synced with its primary: until then a killed primary's slots stay down.
          // Each node of the cluster is a primary with a replica online, or a replica linked to its primary.
          const replication = String(await redis.info('replication'));
          const synced = replication.includes('role:slave')
            ? replication.includes('master_link_status:up')
            : /slave0:[^\n]*state=online/.test(replication);
          if (!synced) return undefined;
        } catch {
          return undefined;
        } finally {
          redis.disconnect();
        }
      }
      return true;
    },
    { what: 'the Redis Cluster to say cluster_state:ok on every node, each primary with a synced replica', timeoutMs: 30_000 },
  );
}
