import mqtt, { type MqttClient } from 'mqtt';
import { Client } from 'pg';
import { hashIssuedSecret } from '@wattline/platform';
import { restClient, startPlatformProcess } from '@wattline/testing';
import { round } from './mqtt-load';

/**
 * A district's meters reconnecting at once after a power cut. `meters` devices are
 * provisioned (one argon2id hash shared by all, to keep set-up short: verifying costs the
 * same), connected once (a cold start: every CONNECT verifies argon2 and reads PostgreSQL),
 * cut off without DISCONNECT, then all reconnect. Measured: connects per second and the
 * credential reads from the database, from the broker's own metrics.
 */
export async function runMassReconnect(options: { databaseUrl: string; redisUrl: string; meters: number; concurrency: number; log: (line: string) => void }) {
  const { log } = options;
  const platform = await startPlatformProcess({ DATABASE_URL: options.databaseUrl, REDIS_URL: options.redisUrl, LOG_LEVEL: 'error', MQTT_MAX_CONNECTIONS: String(options.meters * 2) });
  const api = restClient(platform.httpUrl, platform.adminKey);
  await api.post('/v1/regions', { id: 'district', name: 'District' });
  const password = 'bench-shared-password-0123456789';
  const hash = hashIssuedSecret(password);
  const db = new Client({ connectionString: options.databaseUrl });
  await db.connect();
  const ids = Array.from({ length: options.meters }, (_, i) => `dist-${String(i).padStart(6, '0')}`);
  await db.query(`INSERT INTO meters (id, region_id, kind, password_hash) SELECT unnest($1::text[]), 'district', 'meter', $2`, [ids, hash]);
  await db.end();
  log(`  ${ids.length} meters provisioned`);

  const lookups = async () => {
    const text = await fetch(`${platform.httpUrl}/metrics`).then((r) => r.text());
    const read = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { database: read('wattline_mqtt_credential_lookups_total'), cache: read('wattline_mqtt_credential_cache_hits_total') };
  };

  const wave = async (label: string) => {
    const before = await lookups();
    const clients: MqttClient[] = [];
    let next = 0;
    let done = 0;
    const ticker = setInterval(() => log(`  ${label}: ${done}/${ids.length} connected`), 2000);
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next < ids.length) {
          const id = ids[next++];
          clients.push(await mqtt.connectAsync(platform.mqttUrl, { clientId: id, username: id, password, reconnectPeriod: 0, keepalive: 300, connectTimeout: 120_000 }));
          done += 1;
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(ticker);
    const after = await lookups();
    const result = {
      connects: ids.length,
      seconds: round(seconds, 2),
      connectsPerSecond: Math.round(ids.length / seconds),
      databaseQueries: after.database - before.database,
      cacheHits: after.cache - before.cache,
    };
    log(`  ${label}: ${result.connectsPerSecond} connects/s, ${result.databaseQueries} credential reads from PostgreSQL, ${result.cacheHits} from the cache`);
    return { result, clients };
  };

  try {
    const cold = await wave('first connect (cold)');
    // The power cut: every link drops at once, no DISCONNECT.
    for (const client of cold.clients) client.stream.destroy();
    await Promise.all(cold.clients.map((c) => c.endAsync(true).catch(() => undefined)));
    const reconnect = await wave('reconnect after the cut');
    await Promise.all(reconnect.clients.map((c) => c.endAsync(true).catch(() => undefined)));
    return { meters: ids.length, concurrency: options.concurrency, coldStart: cold.result, massReconnect: reconnect.result };
  } finally {
    await platform.stop();
  }
}

/** The same reconnect storm against the local Mosquitto (anonymous, nothing verified): the floor. */
export async function mosquittoReconnect(meters: number, concurrency: number, log: (line: string) => void) {
  let next = 0;
  const clients: MqttClient[] = [];
  const started = process.hrtime.bigint();
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < meters) {
          const id = `bench-dist-${next++}`;
          clients.push(await mqtt.connectAsync('mqtt://127.0.0.1:1883', { clientId: id, reconnectPeriod: 0, keepalive: 300, connectTimeout: 120_000 }));
        }
      }),
    );
  } catch (error) {
    log(`  mosquitto: ${(error as Error).message}; no reference this run`);
    return null;
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const connectsPerSecond = Math.round(meters / seconds);
  log(`  mosquitto: ${connectsPerSecond} connects/s`);
  return { connects: meters, seconds: round(seconds, 2), connectsPerSecond };
}
