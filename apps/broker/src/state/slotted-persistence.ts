import { once } from 'node:events';
import { Readable } from 'node:stream';
import type { Cluster, Redis } from 'ioredis';
import { Packr } from 'msgpackr';
import { isCluster } from '@wattline/platform';

/**
 * Wattline's aedes persistence on Redis, laid out for a Redis Cluster and for a city of devices.
 *
 * aedes-persistence-redis 11.2 (asyncPersistence.js) keeps every will in one list
 * (`will`), from which each putWill and delWill removes its entry with LREM — O(number of
 * devices) per CONNECT and per disconnect, quadratic in a reconnect storm — and, on a single
 * Redis, every retained message in one hash. Its queued packets are shared between clients
 * (`packet:<broker>:<counter>` with a count key), so one delivery touches keys of several slots.
 * Here everything a device owns lives under its own keys with one hash tag per client, so every
 * per-client operation is one slot (a Lua script where it must be atomic), and nothing on
 * CONNECT, SUBSCRIBE or disconnect grows with the number of devices:
 *
 *   {P}sub:{client}     hash   topic → subscription (qos, rh, rap, nl, identifier)
 *   {P}out:{client}     list   queued entries in order, `<brokerId>:<brokerCounter>`
 *   {P}outp:{client}    hash   entry → packet (each client its own copy: one slot per delivery)
 *   {P}outm:{client}    hash   packet identifier → entry, for PUBACK/PUBREC/PUBCOMP
 *   {P}in:{client}      hash   packet identifier → incoming QoS 2 packet
 *   {P}will:{client}    hash   b → broker id, p → will packet
 *   {P}wills:{broker}   set    clients with a will on that broker (its wills, should it die)
 *   {P}will-brokers     set    brokers that ever held a will
 *   {P}retained:<topic> string the retained packet, one key per topic (spread over slots)
 *   {P}retained-index   zset   every retained topic, score 0: a wildcard's literal prefix is
 *                              a ZRANGEBYLEX range, not a scan of every key
 *   {P}clients-count    string clients with at least one subscription (countOffline)
 *
 * Subscriptions are matched from an in-memory trie, filled from `sub:*` at start-up and kept
 * up to date on every broker through aedes' subscription broadcast (aedes-persistence's
 * BroadcastPersistence, as aedes-persistence-redis does). It passes aedes-persistence's
 * abstract suite on a single Redis and on a Redis Cluster (slotted-persistence.integration-spec).
 */
const QlobberSub = require('qlobber/aedes/qlobber-sub');
const { QlobberTrue } = require('qlobber');
const Packet = require('aedes-packet');
const BroadcastPersistence = require('aedes-persistence/broadcastPersistence.js');

const QLOBBER_OPTIONS = { wildcard_one: '+', wildcard_some: '#', separator: '/', match_empty_levels: true };
/** Queued packets a resuming session is sent at most (aedes-persistence-redis' maxSessionDelivery). */
const MAX_SESSION_DELIVERY = 1000;
/** Members read per SSCAN/ZRANGEBYLEX page while streaming wills or retained messages. */
const PAGE = 500;

// undefined survives (aedes-packet sets `messageId = undefined`), Buffers come back as Buffers, strings as strings.
const codec = new Packr({ useRecords: false });
const encode = (value: unknown): Buffer => codec.pack(value);
const decode = <T>(buffer: Buffer): T => codec.unpack(buffer) as T;

type Db = Redis | Cluster;
interface Client {
  id: string;
  brokerId?: string;
}
interface Sub {
  topic: string;
  qos: number;
  clientId?: string;
  [field: string]: unknown;
}
interface PacketLike {
  cmd?: string;
  topic?: string;
  payload?: Buffer | string;
  messageId?: number;
  brokerId?: string;
  brokerCounter?: number;
  clientId?: string;
  [field: string]: unknown;
}
interface Broker {
  id: string;
  publish(packet: unknown, done: (error?: Error) => void): void;
  subscribe(topic: string, handler: unknown, done: () => void): void;
  unsubscribe(topic: string, handler: unknown, done: () => void): void;
}

/** Per-client operations that must be atomic: all their keys carry the client's hash tag. */
const SCRIPTS = {
  /** KEYS: sub; ARGV: topic, record, … → the hash's length before (0: the client is new). */
  wlAddSubs: {
    numberOfKeys: 1,
    lua: `local before = redis.call('HLEN', KEYS[1])
for i = 1, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return before`,
  },
  /** KEYS: sub, out, outp, outm; ARGV: topics → 1 when the client's last subscription went (its queue with it). */
  wlRemoveSubs: {
    numberOfKeys: 4,
    lua: `local before = redis.call('HLEN', KEYS[1])
if #ARGV > 0 then redis.call('HDEL', KEYS[1], unpack(ARGV)) end
if before > 0 and redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
  return 1
end
return 0`,
  },
  /** KEYS: out, outp; ARGV: entry, packet. */
  wlEnqueue: {
    numberOfKeys: 2,
    lua: `if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 1 then redis.call('RPUSH', KEYS[1], ARGV[1]) end
return 1`,
  },
  /** KEYS: outp, outm; ARGV: entry ('' for a pubrel: the one the identifier names), messageId, packet → 1, or 0 when no such packet. */
  wlUpdate: {
    numberOfKeys: 2,
    lua: `local entry = ARGV[1]
if entry == '' then entry = redis.call('HGET', KEYS[2], ARGV[2]) end
if not entry or redis.call('HEXISTS', KEYS[1], entry) == 0 then return 0 end
redis.call('HSET', KEYS[1], entry, ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], entry)
return 1`,
  },
  /** KEYS: out, outp, outm; ARGV: messageId → the packet it named, removed from the queue. */
  wlClear: {
    numberOfKeys: 3,
    lua: `local entry = redis.call('HGET', KEYS[3], ARGV[1])
if not entry then return false end
redis.call('HDEL', KEYS[3], ARGV[1])
local packet = redis.call('HGET', KEYS[2], entry)
redis.call('HDEL', KEYS[2], entry)
redis.call('LREM', KEYS[1], 1, entry)
return packet`,
  },
  /** KEYS: will; ARGV: broker id → the will packet, deleted, when that broker holds it. */
  wlTakeWill: {
    numberOfKeys: 1,
    lua: `if redis.call('HGET', KEYS[1], 'b') ~= ARGV[1] then return false end
local packet = redis.call('HGET', KEYS[1], 'p')
redis.call('DEL', KEYS[1])
return packet`,
  },
} as const;

type ScriptName = keyof typeof SCRIPTS;
type Scripted = Db & Record<`${ScriptName}Buffer`, (...args: (string | Buffer | number)[]) => Promise<Buffer | number | null>>;

export interface SlottedPersistenceOptions {
  /** Connection (a Redis, or an ioredis Cluster); the persistence does not close it. */
  db: Db;
  /** Key prefix; no braces (the hash tags are the client's and the broker's). Default `aedes:`. */
  prefix?: string;
}

export class SlottedRedisPersistence {
  private readonly db: Scripted;
  private readonly prefix: string;
  private readonly trie = new QlobberSub(QLOBBER_OPTIONS);
  private broadcast: {
    brokerSubscribe(): Promise<void>;
    brokerUnsubscribe(): Promise<void>;
    addedSubscriptions(c: Client, s: Sub[]): Promise<unknown>;
    removedSubscriptions(c: Client, s: string[]): Promise<unknown>;
  } | null = null;
  private brokerRef: Broker | null = null;
  private destroyed = false;

  constructor(options: SlottedPersistenceOptions) {
    const prefix = options.prefix ?? 'aedes:';
    if (/[{}]/.test(prefix)) throw new Error(`the persistence key prefix ${prefix} must not hold braces: the hash tags are the clients'`);
    this.prefix = prefix;
    const db = options.db as Scripted;
    for (const [name, script] of Object.entries(SCRIPTS)) {
      if (typeof (db as unknown as Record<string, unknown>)[`${name}Buffer`] !== 'function')
        db.defineCommand(name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
    }
    this.db = db;
  }

  /** For aedes-persistence's abstract suite (it reads `instance.broker`). */
  get broker(): Broker | null {
    return this.brokerRef;
  }

  private key(kind: string, tag: string): string {
    return `${this.prefix}${kind}:{${tag}}`;
  }

  private retainedKey(topic: string): string {
    return `${this.prefix}retained:${topic}`;
  }

  async setup(broker: Broker): Promise<void> {
    this.brokerRef = broker;
    this.broadcast = new BroadcastPersistence(broker, this.trie);
    // The trie of every stored subscription: O(subscriptions) once at start-up, never per CONNECT.
    const head = `${this.prefix}sub:{`;
    for (const node of await this.nodes()) {
      const stream = node.scanStream({ match: `${head}*`, count: 1000 });
      for await (const keys of stream as AsyncIterable<string[]>) {
        for (const key of keys) {
          const clientId = key.slice(head.length, -1);
          const hash = await this.db.hgetallBuffer(key);
          for (const [topic, record] of Object.entries(hash)) {
            const sub = decode<Sub>(record);
            if (sub.qos > 0) this.trie.add(topic, { ...sub, clientId, topic });
          }
        }
      }
    }
    await this.broadcast!.brokerSubscribe();
  }

  /** The nodes holding keys: each primary of a cluster (once it knows its slots), or the one Redis. */
  private async nodes(): Promise<Redis[]> {
    const db = this.db as Db;
    if (!isCluster(db)) return [db];
    if (db.status !== 'ready') await once(db, 'ready');
    return db.nodes('master');
  }

  // --- retained messages -------------------------------------------------------------------

  async storeRetained(packet: PacketLike): Promise<void> {
    const topic = packet.topic!;
    const index = `${this.prefix}retained-index`;
    if (!packet.payload || packet.payload.length === 0) {
      await this.db.zrem(index, topic);
      await this.db.del(this.retainedKey(topic));
      return;
    }
    // The value first, then the index: a reader that finds the topic finds its packet (a copy: the caller may change its own).
    await this.db.set(this.retainedKey(topic), encode({ ...packet }));
    await this.db.zadd(index, 0, topic);
  }

  createRetainedStreamCombi(patterns: string[]): Readable {
    return Readable.from(this.matchRetained(patterns));
  }

  createRetainedStream(pattern: string): Readable {
    return this.createRetainedStreamCombi([pattern]);
  }

  private async *matchRetained(patterns: string[]): AsyncGenerator<PacketLike> {
    const sent = new Set<string>();
    const wildcards: { pattern: string; at: number }[] = [];
    for (const pattern of patterns) {
      const at = wildcardAt(pattern);
      if (at === -1) {
        if (sent.has(pattern)) continue;
        const value = await this.db.getBuffer(this.retainedKey(pattern));
        if (value) {
          sent.add(pattern);
          yield decode<PacketLike>(value);
        }
      } else wildcards.push({ pattern, at });
    }
    for (const { pattern, at } of wildcards) {
      const matcher = new QlobberTrue(QLOBBER_OPTIONS);
      matcher.add(pattern);
      // Every retained topic a pattern can match starts with its literal part, less the separator
      // before the wildcard: `hello/world/#` matches `hello/world` itself [MQTT-4.7.1-2].
      const literal = pattern.slice(0, Math.max(0, at - 1));
      const min = Buffer.from(`[${literal}`);
      const max = Buffer.concat([Buffer.from(`[${literal}`), Buffer.from([0xff])]);
      let offset = 0;
      for (;;) {
        const topics = await this.db.zrangebylex(`${this.prefix}retained-index`, min, max, 'LIMIT', offset, PAGE);
        offset += topics.length;
        const wanted = topics.filter((topic) => !sent.has(topic) && matcher.test(topic));
        const values = await Promise.all(wanted.map((topic) => this.db.getBuffer(this.retainedKey(topic))));
        for (let i = 0; i < wanted.length; i++) {
          const value = values[i];
          if (!value) continue;
          sent.add(wanted[i]);
          yield decode<PacketLike>(value);
        }
        if (topics.length < PAGE) break;
      }
    }
  }

  // --- subscriptions -----------------------------------------------------------------------

  async addSubscriptions(client: Client, subs: Sub[]): Promise<Client> {
    const args: (string | Buffer)[] = [];
    for (const sub of subs) {
      const { clientId: _ignored, ...record } = sub;
      args.push(sub.topic, encode(record));
    }
    if (args.length > 0) {
      const before = await this.db.wlAddSubsBuffer(this.key('sub', client.id), ...args);
      if (before === 0) await this.db.incr(`${this.prefix}clients-count`);
    }
    await this.broadcast!.addedSubscriptions(client, subs);
    return client;
  }

  async removeSubscriptions(client: Client, topics: string[]): Promise<Client> {
    const id = client.id;
    const emptied = await this.db.wlRemoveSubsBuffer(
      this.key('sub', id),
      this.key('out', id),
      this.key('outp', id),
      this.key('outm', id),
      ...topics,
    );
    if (emptied === 1) await this.db.decr(`${this.prefix}clients-count`);
    await this.broadcast!.removedSubscriptions(client, topics);
    return client;
  }

  async subscriptionsByClient(client: Client): Promise<Sub[]> {
    const hash = await this.db.hgetallBuffer(this.key('sub', client.id));
    return Object.entries(hash).map(([topic, record]) => ({ ...decode<Sub>(record), topic }));
  }

  async countOffline(): Promise<{ subsCount: number; clientsCount: number }> {
    const clients = Number(await this.db.get(`${this.prefix}clients-count`)) || 0;
    return { subsCount: this.trie.subscriptionsCount, clientsCount: Math.max(0, clients) };
  }

  async subscriptionsByTopic(topic: string): Promise<Sub[]> {
    return this.trie.match(topic);
  }

  async cleanSubscriptions(client: Client): Promise<Client> {
    const subs = await this.subscriptionsByClient(client);
    if (subs.length > 0)
      await this.removeSubscriptions(
        client,
        subs.map((s) => s.topic),
      );
    return client;
  }

  getClientList(topic: string): Readable {
    const entries: { clientId: string }[] = this.trie.match(topic, topic);
    return Readable.from(entries.map((e) => e.clientId));
  }

  // --- queued (outgoing) messages ----------------------------------------------------------

  async outgoingEnqueue(sub: Sub, packet: PacketLike): Promise<void> {
    await this.outgoingEnqueueCombi([sub], packet);
  }

  async outgoingEnqueueCombi(subs: Sub[], packet: PacketLike): Promise<void> {
    if (!subs || subs.length === 0) return;
    const entry = `${packet.brokerId}:${packet.brokerCounter}`;
    const encoded = encode(new Packet(packet));
    await Promise.all(
      subs.map((sub) => this.db.wlEnqueueBuffer(this.key('out', sub.clientId!), this.key('outp', sub.clientId!), entry, encoded)),
    );
  }

  async outgoingUpdate(client: Client, packet: PacketLike): Promise<void> {
    // A publish names its entry; a pubrel only its packet identifier.
    const entry = packet.brokerId !== undefined && packet.brokerCounter !== undefined ? `${packet.brokerId}:${packet.brokerCounter}` : '';
    const done = await this.db.wlUpdateBuffer(
      this.key('outp', client.id),
      this.key('outm', client.id),
      entry,
      String(packet.messageId),
      encode(packet),
    );
    if (done !== 1) throw new Error('no such packet');
  }

  async outgoingClearMessageId(client: Client, packet: PacketLike): Promise<PacketLike | undefined> {
    if (!packet || packet.messageId === undefined || packet.messageId === null) return undefined;
    const id = client.id;
    const value = await this.db.wlClearBuffer(this.key('out', id), this.key('outp', id), this.key('outm', id), String(packet.messageId));
    if (!value || typeof value === 'number') return undefined;
    const stored = decode<PacketLike>(value);
    stored.messageId = packet.messageId;
    return stored;
  }

  outgoingStream(client: Client): Readable {
    return Readable.from(this.queued(client.id));
  }

  private async *queued(clientId: string): AsyncGenerator<PacketLike> {
    const entries = await this.db.lrange(this.key('out', clientId), 0, MAX_SESSION_DELIVERY - 1);
    if (entries.length === 0) return;
    const values = await this.db.hmgetBuffer(this.key('outp', clientId), ...entries);
    for (const value of values) if (value) yield decode<PacketLike>(value);
  }

  // --- incoming QoS 2 ----------------------------------------------------------------------

  async incomingStorePacket(client: Client, packet: PacketLike): Promise<void> {
    const stored = new Packet(packet);
    stored.messageId = packet.messageId;
    await this.db.hset(this.key('in', client.id), String(packet.messageId), encode(stored));
  }

  async incomingGetPacket(client: Client, packet: PacketLike): Promise<PacketLike> {
    const value = await this.db.hgetBuffer(this.key('in', client.id), String(packet.messageId));
    if (!value) throw new Error('no such packet');
    return decode<PacketLike>(value);
  }

  async incomingDelPacket(client: Client, packet: PacketLike): Promise<void> {
    await this.db.hdel(this.key('in', client.id), String(packet.messageId));
  }

  async cleanIncoming(client: Client): Promise<void> {
    await this.db.del(this.key('in', client.id));
  }

  // --- wills -------------------------------------------------------------------------------

  async putWill(client: Client, packet: PacketLike): Promise<Client> {
    const brokerId = this.brokerRef!.id;
    packet.clientId = client.id;
    packet.brokerId = brokerId;
    await Promise.all([
      this.db.hset(this.key('will', client.id), 'b', brokerId, 'p', encode(packet)),
      this.db.sadd(this.key('wills', brokerId), client.id),
      this.db.sadd(`${this.prefix}will-brokers`, brokerId),
    ]);
    return client;
  }

  async getWill(client: Client): Promise<PacketLike | null> {
    const value = await this.db.hgetBuffer(this.key('will', client.id), 'p');
    return value ? decode<PacketLike>(value) : null;
  }

  /** Deletes the will `client.brokerId` holds; a newer one on another broker (the device moved) stays. */
  async delWill(client: Client): Promise<PacketLike | null> {
    const brokerId = client.brokerId ?? this.brokerRef!.id;
    const [value] = await Promise.all([
      this.db.wlTakeWillBuffer(this.key('will', client.id), brokerId),
      this.db.srem(this.key('wills', brokerId), client.id),
    ]);
    return value && typeof value !== 'number' ? decode<PacketLike>(value) : null;
  }

  /** The wills held by brokers not in `brokers` (aedes: the ones not heard from): only theirs are read. */
  streamWill(brokers: Record<string, unknown> = {}): Readable {
    return Readable.from(this.willsOf(brokers));
  }

  private async *willsOf(alive: Record<string, unknown>): AsyncGenerator<PacketLike> {
    const holders = await this.db.smembers(`${this.prefix}will-brokers`);
    for (const brokerId of holders) {
      if (alive[brokerId]) continue;
      const setKey = this.key('wills', brokerId);
      let cursor = '0';
      do {
        const [next, clientIds] = await this.db.sscan(setKey, cursor, 'COUNT', PAGE);
        cursor = next;
        const values = await Promise.all(clientIds.map((id) => this.db.hmgetBuffer(this.key('will', id), 'b', 'p')));
        for (let i = 0; i < clientIds.length; i++) {
          const [holder, packet] = values[i];
          if (packet && holder?.toString() === brokerId) yield decode<PacketLike>(packet);
          // The device's will is gone or moved to another broker: this set no longer holds it.
          else await this.db.srem(setKey, clientIds[i]);
        }
      } while (cursor !== '0');
    }
  }

  async destroy(): Promise<void> {
    if (this.destroyed) throw new Error('destroyed called twice!');
    this.destroyed = true;
    await this.broadcast?.brokerUnsubscribe();
  }
}

/** Where a topic filter's first wildcard is, or -1 for a topic name. */
function wildcardAt(pattern: string): number {
  const one = pattern.indexOf('+');
  const some = pattern.indexOf('#');
  if (one === -1) return some;
  if (some === -1) return one;
  return Math.min(one, some);
}
