import net from 'node:net';
import { Aedes } from 'aedes';
import Redis, { Cluster } from 'ioredis';
import mqtt from 'mqtt';
import { expectEventually, startRedis, startRedisCluster } from '@wattline/testing';
import { SlottedRedisPersistence } from './slotted-persistence';

/**
 * What a CONNECT with a will costs in Redis, with 1,000 and then 20,000 other devices' wills
 * stored: the same commands, call for call (aedes-persistence-redis' one `will` list made
 * putWill and delWill an LREM over every device's entry). The Redis commands are counted from
 * INFO commandstats (summed over a cluster's primaries) around 200 real MQTT clients connecting
 * with a will, subscribing and disconnecting cleanly, on a single Redis and on a Redis Cluster;
 * the CPU and Redis' own time per CONNECT are printed, not asserted (speed is the benchmark's
 * business).
 */
const CLIENTS = 200;

describe.each(['a single Redis', 'a Redis Cluster'])('a CONNECT with a will against the wills already stored, on %s', (target) => {
  let stop: () => Promise<void>;
  let db: Redis | Cluster;
  let stats: Redis[];
  let aedes: Aedes;
  let server: net.Server;
  let port: number;
  let persistence: SlottedRedisPersistence;

  beforeAll(async () => {
    if (target === 'a single Redis') {
      const redis = await startRedis();
      stop = () => redis.stop();
      db = new Redis(redis.url);
      stats = [new Redis(redis.url)];
    } else {
      const cluster = await startRedisCluster();
      stop = () => cluster.stop();
      db = new Redis.Cluster(cluster.seeds, { enableAutoPipelining: true });
      await new Promise((resolve) => db.once('ready', resolve));
      stats = (db as Cluster).nodes('master').map((node) => new Redis({ host: node.options.host, port: node.options.port }));
    }
    persistence = new SlottedRedisPersistence({ db, prefix: 'cost:' });
    aedes = await Aedes.createBroker({ persistence: persistence as never });
    server = net.createServer(aedes.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  }, 90_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await new Promise<void>((resolve) => aedes?.close(() => resolve()));
    db?.disconnect();
    for (const s of stats ?? []) s.disconnect();
    await stop?.();
  });

  /** Stores wills of `count` devices that are not connected (other brokers' or offline ones'), as a fleet leaves them. */
  const storeWills = async (from: number, count: number) => {
    for (let i = from; i < from + count; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, from + count - i) }, (_, k) =>
          persistence.putWill(
            { id: `stored-${i + k}` },
            { cmd: 'publish', topic: `meters/stored-${i + k}/status`, payload: Buffer.from('offline'), qos: 1, retain: true },
          ),
        ),
      );
    }
  };

  const commandCalls = async (): Promise<Map<string, { calls: number; usec: number }>> => {
    const calls = new Map<string, { calls: number; usec: number }>();
    for (const node of stats) {
      const info = String(await node.info('commandstats'));
      for (const line of info.split('\n')) {
        const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim());
        // The cluster client's topology reads and the replicas' replication traffic are not the CONNECT's.
        if (!match || ['info', 'replconf', 'ping', 'psync', 'command'].includes(match[1]) || match[1].startsWith('cluster')) continue;
        const was = calls.get(match[1]) ?? { calls: 0, usec: 0 };
        calls.set(match[1], { calls: was.calls + Number(match[2]), usec: was.usec + Number(match[3]) });
      }
    }
    return calls;
  };

  /** CLIENTS devices connect with a will and a persistent session, subscribe, and disconnect cleanly. */
  const connectRound = async (round: string) => {
    const before = await commandCalls();
    const cpu = process.cpuUsage();
    for (let i = 0; i < CLIENTS; i += 20) {
      await Promise.all(
        Array.from({ length: 20 }, async (_, k) => {
          const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
            clientId: `${round}-${i + k}`,
            clean: false,
            reconnectPeriod: 0,
            will: { topic: `meters/${round}-${i + k}/status`, payload: Buffer.from('offline'), qos: 1, retain: true },
          });
          await client.subscribeAsync(`prices/${round}/current`, { qos: 1 });
          await client.endAsync();
        }),
      );
    }
    const used = process.cpuUsage(cpu);
    // A client's endAsync resolves before the broker has handled its DISCONNECT (the will's removal): read the counts once
    // every client is gone and they stop moving.
    await expectEventually(() => (aedes.connectedClients === 0 ? true : undefined), { what: 'every client disconnected' });
    let after = await commandCalls();
    for (let settled = false; !settled;) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const again = await commandCalls();
      settled = [...again].every(([command, { calls }]) => after.get(command)?.calls === calls);
      after = again;
    }
    const delta = new Map<string, number>();
    let usec = 0;
    for (const [command, { calls, usec: time }] of after) {
      const was = before.get(command) ?? { calls: 0, usec: 0 };
      if (calls > was.calls) delta.set(command, calls - was.calls);
      usec += time - was.usec;
    }
    return {
      perConnect: [...delta].sort().map(([c, n]) => `${c} ${n / CLIENTS}`),
      cpuMs: (used.user + used.system) / 1000 / CLIENTS,
      redisUsec: usec / CLIENTS,
    };
  };

  it('sends the same Redis commands per CONNECT with 1,000 and with 20,000 stored wills', async () => {
    await storeWills(0, 1000);
    await connectRound('warm'); // the first CONNECTs pay for the scripts' first load and the sockets
    const small = await connectRound('at-1k');
    await storeWills(1000, 19_000);
    expect(await db.scard('cost:wills:{' + aedes.id + '}')).toBe(20_000);
    const large = await connectRound('at-20k');
    expect(large.perConnect).toEqual(small.perConnect);
    // Each CONNECT with a will: its own keys only (the will hash, the broker's will set), never the fleet's.
    expect(small.perConnect.length).toBeGreaterThan(0);
    process.stderr.write(
      `slotted persistence on ${target}, per CONNECT (will, persistent session, one SUBSCRIBE, clean DISCONNECT): ` +
        `${small.perConnect.join(', ')}; CPU of this process (broker and clients) ${small.cpuMs.toFixed(3)} ms at 1,000 wills, ${large.cpuMs.toFixed(3)} ms at 20,000; ` +
        `Redis time ${small.redisUsec.toFixed(1)} µs at 1,000, ${large.redisUsec.toFixed(1)} µs at 20,000\n`,
    );
  }, 120_000);
});
