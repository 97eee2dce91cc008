import mqtt, { type MqttClient } from 'mqtt';

export interface LoadClient {
  clientId: string;
  username?: string;
  password?: string;
  topic: string;
  payloads: string[];
}

export interface LoadResult {
  messages: number;
  seconds: number;
  perSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

/**
 * Meters as they behave in the field: each client publishes its readings at QoS 1, one after
 * the other, waiting for the PUBACK (the broker's promise the reading is safe) before the next.
 * Throughput is messages acknowledged per second over all clients.
 */
export async function runPublishLoad(url: string, clients: LoadClient[], progress: (done: number, total: number) => void): Promise<LoadResult> {
  const connections: MqttClient[] = await Promise.all(
    clients.map((c) => mqtt.connectAsync(url, { clientId: c.clientId, username: c.username, password: c.password, reconnectPeriod: 0, clean: true })),
  );
  const total = clients.reduce((sum, c) => sum + c.payloads.length, 0);
  const latencies: number[] = [];
  let done = 0;
  const ticker = setInterval(() => progress(done, total), 1000);
  const started = process.hrtime.bigint();
  try {
    await Promise.all(
      clients.map(async (client, i) => {
        for (const payload of client.payloads) {
          const t0 = process.hrtime.bigint();
          await connections[i].publishAsync(client.topic, payload, { qos: 1 });
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          done += 1;
        }
      }),
    );
  } finally {
    clearInterval(ticker);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  progress(done, total);
  await Promise.all(connections.map((c) => c.endAsync()));
  latencies.sort((a, b) => a - b);
  return {
    messages: total,
    seconds: round(seconds, 3),
    perSecond: Math.round(total / seconds),
    latencyMs: { p50: round(percentile(latencies, 0.5), 2), p99: round(percentile(latencies, 0.99), 2), max: round(latencies[latencies.length - 1], 2) },
  };
}

export const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
