import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { PACKET, PacketReader, DISCONNECT, connectPacket, pubackPacket, publishPacket, subscribePacket } from './wire';
import type { ClientSpec, Job, JobResult, WorkerMessage } from './protocol';

/**
 * One load-generator process (forked by fleet.ts, pinned to its own core by the bench). Raw
 * sockets and packets built before the clock starts: MQTT.js allocates per publish and would
 * be the bottleneck long before a broker is. It answers QoS 1 deliveries with PUBACK, as a
 * real client must.
 */
interface Connection {
  spec: ClientSpec;
  socket: net.Socket;
  connack: number | null;
  onPuback: ((id: number) => void) | null;
  onPublish: ((topic: string, payload: Buffer) => void) | null;
  onSuback: ((granted: number) => void) | null;
}

let connections: Connection[] = [];
const send = (message: WorkerMessage) => process.send!(message);
const SAMPLE = 50_000;

/** A uniform sample of latencies (reservoir), in ms: percentiles merge across workers from it. */
class Latencies {
  readonly sample: number[] = [];
  private seen = 0;
  add(ms: number): void {
    this.seen += 1;
    if (this.sample.length < SAMPLE) this.sample.push(ms);
    else {
      const slot = Math.floor(Math.random() * this.seen);
      if (slot < SAMPLE) this.sample[slot] = ms;
    }
  }
}

function open(spec: ClientSpec, host: string, port: number, localAddress: string | undefined): Promise<Connection> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, localAddress, noDelay: true });
    const connection: Connection = { spec, socket, connack: null, onPuback: null, onPublish: null, onSuback: null };
    const reader = new PacketReader((type, flags, body) => {
      if (type === PACKET.PUBACK) connection.onPuback?.(body.readUInt16BE(0));
      else if (type === PACKET.CONNACK) {
        connection.connack = body[1];
        resolve(connection);
      } else if (type === PACKET.PUBLISH) {
        const qos = (flags >> 1) & 3;
        const topicLength = body.readUInt16BE(0);
        const topic = body.toString('utf8', 2, 2 + topicLength);
        let at = 2 + topicLength;
        if (qos > 0) {
          socket.write(pubackPacket(body.readUInt16BE(at)));
          at += 2;
        }
        connection.onPublish?.(topic, body.subarray(at));
      } else if (type === PACKET.SUBACK) connection.onSuback?.(body[2]);
    });
    socket.on('connect', () => socket.write(connectPacket(spec)));
    socket.on('data', (chunk) => reader.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (connection.connack === null) {
        connection.connack = -1;
        resolve(connection);
      }
    });
  });
}

async function connect(job: Extract<Job, { kind: 'connect' }>): Promise<JobResult> {
  const latencies = new Latencies();
  // Kept in the order of job.clients: the publish job's topics and payloads are indexed by it.
  const opened: Connection[] = new Array(job.clients.length);
  let count = 0;
  let next = 0;
  const started = performance.now();
  const ticker = setInterval(() => send({ type: 'progress', done: count }), 500);
  // At most `inFlight` handshakes outstanding: the listen backlog (somaxconn) bounds a real storm too.
  await Promise.all(
    Array.from({ length: Math.min(job.inFlight, job.clients.length) }, async () => {
      while (next < job.clients.length) {
        const index = next++;
        const t0 = performance.now();
        const connection = await open(
          job.clients[index],
          job.host,
          job.port,
          job.sources.length > 0 ? job.sources[index % job.sources.length] : undefined,
        );
        latencies.add(performance.now() - t0);
        opened[index] = connection;
        count += 1;
      }
    }),
  );
  clearInterval(ticker);
  const seconds = (performance.now() - started) / 1000;
  connections.push(...opened.filter((c) => c.connack === 0));
  for (const c of opened) if (c.connack !== 0) c.socket.destroy();
  return {
    count: opened.filter((c) => c.connack === 0).length,
    refused: opened.filter((c) => c.connack !== null && c.connack > 0).length,
    failed: opened.filter((c) => c.connack === -1).length,
    seconds,
    latencies: latencies.sample,
  };
}

/**
 * Each connection keeps `window` PUBLISHes in flight (QoS 1): a PUBACK releases the next one.
 * At QoS 0 it writes them all as the socket drains, then one QoS 1 fence per connection: the
 * broker handles a connection's packets in order, so the fence's PUBACK means all were taken.
 */
async function publish(job: Extract<Job, { kind: 'publish' }>): Promise<JobResult> {
  const latencies = new Latencies();
  const built = connections.map((c, i) =>
    job.payloads[i].map((payload, k) => publishPacket(job.topics[i], Buffer.from(payload), job.qos, (k % 65_000) + 1)),
  );
  let acked = 0;
  const total = built.reduce((sum, list) => sum + list.length, 0);
  const ticker = setInterval(() => send({ type: 'progress', done: acked }), 500);
  const started = performance.now();
  await Promise.all(
    connections.map(
      (connection, i) =>
        new Promise<void>((resolve) => {
          const packets = built[i];
          if (packets.length === 0) return resolve();
          if (job.qos === 0) {
            const fenceId = 65_500;
            connection.onPuback = (id) => {
              if (id !== fenceId) return;
              acked += packets.length;
              resolve();
            };
            let at = 0;
            const pump = () => {
              while (at < packets.length) {
                const end = Math.min(packets.length, at + 64);
                const ok = connection.socket.write(Buffer.concat(packets.slice(at, end)));
                at = end;
                if (!ok) return void connection.socket.once('drain', pump);
              }
              connection.socket.write(
                publishPacket(job.fenceTopic ?? job.topics[i], Buffer.from(job.fencePayload ?? job.payloads[i][0]), 1, fenceId),
              );
            };
            pump();
            return;
          }
          const sentAt = new Float64Array(65_536);
          let nextToSend = 0;
          let done = 0;
          const batch: Buffer[] = [];
          let scheduled = false;
          const flush = () => {
            scheduled = false;
            if (batch.length > 0) connection.socket.write(batch.length === 1 ? batch[0] : Buffer.concat(batch));
            batch.length = 0;
          };
          const queue = () => {
            const id = (nextToSend % 65_000) + 1;
            sentAt[id] = performance.now();
            batch.push(packets[nextToSend++]);
            if (!scheduled) {
              scheduled = true;
              queueMicrotask(flush);
            }
          };
          connection.onPuback = (id) => {
            latencies.add(performance.now() - sentAt[id]);
            done += 1;
            acked += 1;
            if (nextToSend < packets.length) queue();
            if (done === packets.length) resolve();
          };
          for (let w = 0; w < job.window && nextToSend < packets.length; w++) queue();
        }),
    ),
  );
  clearInterval(ticker);
  const seconds = (performance.now() - started) / 1000;
  for (const c of connections) c.onPuback = null;
  return { count: acked, refused: 0, failed: total - acked, seconds, latencies: latencies.sample };
}

/** Every connection subscribes at once; done when each has a PUBLISH on the topic whose payload has `marker`. */
async function subscribe(job: Extract<Job, { kind: 'subscribe' }>): Promise<JobResult> {
  const latencies = new Latencies();
  let received = 0;
  const started = performance.now();
  const waits = connections.map(
    (connection) =>
      new Promise<void>((resolve) => {
        connection.onPublish = (topic, payload) => {
          if (topic !== job.topic || !payload.includes(job.marker)) return;
          connection.onPublish = null;
          latencies.add(performance.now() - started);
          received += 1;
          resolve();
        };
      }),
  );
  if (job.subscribe) {
    for (const [i, connection] of connections.entries()) connection.socket.write(subscribePacket((i % 65_000) + 1, job.topic, 1));
  }
  send({ type: 'ready' });
  const ticker = setInterval(() => send({ type: 'progress', done: received }), 500);
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, job.timeoutMs));
  await Promise.race([Promise.all(waits), timeout]);
  clearInterval(ticker);
  const seconds = (performance.now() - started) / 1000;
  for (const c of connections) c.onPublish = null;
  return { count: received, refused: 0, failed: connections.length - received, seconds, latencies: latencies.sample };
}

async function close(job: Extract<Job, { kind: 'close' }>): Promise<JobResult> {
  const count = connections.length;
  for (const c of connections) {
    // `drop` is a link going down: no DISCONNECT, the broker finds out from the socket.
    if (job.graceful) c.socket.end(DISCONNECT);
    else c.socket.destroy();
  }
  connections = [];
  await new Promise((resolve) => setTimeout(resolve, 200));
  return { count, refused: 0, failed: 0, seconds: 0, latencies: [] };
}

process.on('message', (message: { id: number; job: Job }) => {
  const cpuBefore = process.cpuUsage();
  const run =
    message.job.kind === 'connect'
      ? connect(message.job)
      : message.job.kind === 'publish'
        ? publish(message.job)
        : message.job.kind === 'subscribe'
          ? subscribe(message.job)
          : close(message.job);
  run.then(
    (result) => {
      const cpu = process.cpuUsage(cpuBefore);
      send({ type: 'result', id: message.id, result: { ...result, cpuSeconds: (cpu.user + cpu.system) / 1e6 } });
    },
    (error: Error) => send({ type: 'error', id: message.id, message: error.stack ?? error.message }),
  );
});
