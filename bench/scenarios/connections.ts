import { BenchContext, CORES, WORKER_VARIANTS, log, metric, openFileLimit, progress, round, sleep } from '../context';
import type { FleetResult } from '../generator/fleet';
import type { ClientSpec } from '../generator/protocol';
import { measureCpu, pin, treeRssBytes } from '../proc';

export interface Wave {
  connects: number;
  refused: number;
  failed: number;
  seconds: number;
  connectsPerSecond: number;
  brokerCpuMillisPerConnect: number;
  generatorCpuSeconds: number;
  latencyMs: FleetResult['latencyMs'];
  databaseReads?: number;
  cacheHits?: number;
}

export interface ConnectionsResult {
  description: string;
  wattline: { workers: number; coldStart: Wave; massReconnect: Wave; idle: Idle }[];
  mosquitto: { firstConnect: Wave; massReconnect: Wave; idle: Idle } | null;
}

export interface Idle {
  connections: number;
  /** Wattline: of the resident memory, the V8 heap in use (from its /metrics), per connection. */
  heapBytesPerConnection?: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  bytesPerConnection: number;
}

const STORM = Number(process.env.BENCH_RECONNECT_METERS ?? 10_000);
/** Handshakes outstanding at once: somaxconn here is 4096; the listen backlog bounds a real storm too. */
const IN_FLIGHT = 1000;

/**
 * Scenarios 2 and 3 on one broker each. A district of STORM meters connects for the first time
 * (cold: empty credential cache, one database read and one hash each), then every link drops
 * without DISCONNECT and all reconnect at once (the cache in Redis answers); then more meters
 * join until the open-file limit is nearly reached and the broker's resident memory per idle
 * authenticated connection is read. Mosquitto gets the same storms (anonymous: it checks nothing), a fresh instance of the
 * same binary on a port of its own, so its memory is measured from a clean start too.
 */
export async function connections(ctx: BenchContext): Promise<ConnectionsResult> {
  const idleTotal = Math.min(Number(process.env.BENCH_IDLE_CONNECTIONS ?? Infinity), openFileLimit() - 1000);
  const ids = Array.from({ length: Math.max(idleTotal, STORM) }, (_, i) => `conn-${String(i).padStart(6, '0')}`);
  const databaseUrl = await ctx.database('district');
  const secrets = await ctx.provision(databaseUrl, 'district', ids);
  log(`  ${ids.length} meters provisioned; storm of ${STORM}, then ${idleTotal} idle connections`);
  const specs: ClientSpec[] = ids.map((id) => ({ clientId: id, username: id, password: secrets.get(id)!, keepalive: 900 }));
  const wattline: ConnectionsResult['wattline'] = [];
  for (const workers of WORKER_VARIANTS) {
    // A Redis of its own each time: the first wave finds the credential cache empty.
    const broker = await ctx.wattline('broker', {
      KAFKA_BROKERS: ctx.kafka.brokers.join(','),
      KAFKA_TOPIC_PREFIX: `benchconn${workers}w${Date.now()}.`,
      DATABASE_URL: databaseUrl,
      REDIS_URL: await ctx.redis(),
      MQTT_MAX_CONNECTIONS: String(ids.length * 2),
      ...(workers > 1 ? { MQTT_WORKERS: String(workers) } : {}),
    });
    const pid = broker.child.pid!;
    const target = { host: '127.0.0.1', port: broker.ports.mqtt };
    const name = `wattline (${workers} worker${workers > 1 ? 's' : ''})`;
    try {
      await sleep(2000);
      const rssBefore = treeRssBytes(pid);
      const heap = () => metric(broker.httpUrl, 'wattline_nodejs_heap_size_used_bytes');
      const heapBefore = await heap();
      const reads = async () => ({
        database: await metric(broker.httpUrl, 'wattline_mqtt_credential_lookups_total'),
        cache: await metric(broker.httpUrl, 'wattline_mqtt_credential_cache_hits_total'),
      });
      const wave = async (label: string, clients: ClientSpec[]) => {
        const before = await reads();
        const { result, cpu } = await measureCpu({ broker: pid }, () =>
          ctx.fleet.connect(target, clients, { inFlight: IN_FLIGHT }, progress(label, clients.length)),
        );
        const after = await reads();
        const w = {
          ...summarise(result, cpu.broker),
          databaseReads: after.database - before.database,
          cacheHits: after.cache - before.cache,
        };
        log(
          `  ${label}: ${w.connects} in ${w.seconds} s (${w.connectsPerSecond}/s), ${w.brokerCpuMillisPerConnect} ms broker CPU a CONNECT, ${w.databaseReads} database reads, ${w.cacheHits} cache hits`,
        );
        return w;
      };
      const coldStart = await wave(`${name} cold start`, specs.slice(0, STORM));
      await ctx.fleet.close(false);
      await waitForConnected(broker.httpUrl, 0);
      const massReconnect = await wave(`${name} mass reconnect`, specs.slice(0, STORM));
      const more = await ctx.fleet.connect(
        target,
        specs.slice(STORM, idleTotal),
        { inFlight: IN_FLIGHT },
        progress(`${name} idle fill`, idleTotal - STORM),
      );
      const connected = massReconnect.connects + more.count;
      await sleep(3000);
      const idle = {
        ...idleResult(connected, rssBefore, treeRssBytes(pid)),
        heapBytesPerConnection: Math.round(((await heap()) - heapBefore) / Math.max(connected, 1)),
      };
      log(
        `  ${name} idle: ${connected} authenticated connections, ${round(idle.bytesPerConnection / 1024, 2)} KiB resident memory each (${round(idle.heapBytesPerConnection / 1024, 2)} KiB of it V8 heap)`,
      );
      await ctx.fleet.close(true);
      wattline.push({ workers, coldStart, massReconnect, idle });
    } finally {
      await broker.stop();
    }
  }

  // A fresh Mosquitto (same binary, own port): its memory per connection from a clean start.
  const reference = await ctx.freshMosquitto();
  const mosquittoPid = reference?.pid;
  let mosquitto: ConnectionsResult['mosquitto'] = null;
  if (reference && mosquittoPid) {
    pin(mosquittoPid, CORES.broker);
    try {
      const anonymous = ids.map((id) => ({ clientId: `bench-${id}`, keepalive: 900 }));
      const rssBefore = treeRssBytes(mosquittoPid);
      const wave = async (label: string, clients: ClientSpec[]) => {
        const { result, cpu } = await measureCpu({ broker: mosquittoPid }, () =>
          ctx.fleet.connect(reference, clients, { inFlight: IN_FLIGHT }, progress(label, clients.length)),
        );
        const w = summarise(result, cpu.broker);
        log(
          `  ${label}: ${w.connects} in ${w.seconds} s (${w.connectsPerSecond}/s), ${w.brokerCpuMillisPerConnect} ms broker CPU a CONNECT`,
        );
        return w;
      };
      const firstConnect = await wave('mosquitto first connect', anonymous.slice(0, STORM));
      await ctx.fleet.close(false);
      await sleep(1000);
      const massReconnect = await wave('mosquitto mass reconnect', anonymous.slice(0, STORM));
      const more = await ctx.fleet.connect(reference, anonymous.slice(STORM, idleTotal), { inFlight: IN_FLIGHT });
      await sleep(3000);
      const idle = idleResult(massReconnect.connects + more.count, rssBefore, treeRssBytes(mosquittoPid));
      log(`  mosquitto idle: ${idle.connections} connections, ${round(idle.bytesPerConnection / 1024, 2)} KiB resident memory each`);
      await ctx.fleet.close(true);
      mosquitto = { firstConnect, massReconnect, idle };
    } finally {
      pin(mosquittoPid, CORES.all);
    }
  }
  return {
    description: `${STORM} meters, at most ${IN_FLIGHT} handshakes outstanding; Wattline broker app with Redis-shared state, PostgreSQL credentials (issued secrets as salted SHA-256), Kafka; then ${idleTotal} idle connections (open-file limit ${openFileLimit()})`,
    wattline,
    mosquitto,
  };
}

function summarise(result: FleetResult, brokerCpu: number): Wave {
  return {
    connects: result.count,
    refused: result.refused,
    failed: result.failed,
    seconds: result.seconds,
    connectsPerSecond: Math.round(result.count / result.seconds),
    brokerCpuMillisPerConnect: round((brokerCpu * 1000) / Math.max(result.count, 1), 3),
    generatorCpuSeconds: result.generatorCpuSeconds,
    latencyMs: result.latencyMs,
  };
}

function idleResult(connections: number, before: number, after: number): Idle {
  return {
    connections,
    rssBeforeBytes: before,
    rssAfterBytes: after,
    bytesPerConnection: Math.round((after - before) / Math.max(connections, 1)),
  };
}

async function waitForConnected(httpUrl: string, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await metric(httpUrl, 'wattline_mqtt_connected_clients')) > count) {
    if (Date.now() > deadline) throw new Error('the broker still counts connections a minute after they dropped');
    await sleep(200);
  }
}
