import { z } from 'zod';

/**
 * Every environment variable Wattline reads, declared once with its default and meaning.
 * Nobody else reads process.env: apps receive the validated `WattlineConfig`.
 */
const port = z.coerce.number().int().min(1).max(65535);
const seconds = z.coerce.number().int().min(1);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const optional = <T extends z.ZodTypeAny>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
const hostPort = z.string().regex(/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/, 'must be host:port');

export const CONFIG_VARIABLES = {
  MQTT_PORT: { schema: port.default(1883), describe: 'MQTT over TCP' },
  MQTT_WS_PORT: { schema: port.default(8083), describe: 'MQTT over WebSocket, path /mqtt' },
  MQTT_TLS_PORT: { schema: optional(port), describe: 'MQTT over TLS; needs TLS_CERT and TLS_KEY (off when unset)' },
  MQTT_HOST: { schema: z.string().min(1).default('0.0.0.0'), describe: 'address the MQTT listeners bind to' },
  TLS_CERT: { schema: optional(z.string()), describe: 'PEM certificate file for MQTT_TLS_PORT' },
  TLS_KEY: { schema: optional(z.string()), describe: 'PEM private key file for MQTT_TLS_PORT' },
  TLS_CA: { schema: optional(z.string()), describe: 'PEM CA bundle; set: client certificates (CN = device id) are accepted' },
  HTTP_PORT: { schema: port.default(3000), describe: 'REST API, OpenAPI docs, web pages, /health, /metrics' },
  PUBLIC_MQTT_WS_URL: {
    schema: optional(z.string().regex(/^wss?:\/\//, 'must start with ws:// or wss://')),
    describe: 'MQTT-over-WebSocket URL the display page connects to (unset: same host, MQTT_WS_PORT)',
  },
  PUBLIC_BASE_URL: {
    schema: optional(
      z
        .string()
        .regex(/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/, 'must be an http:// or https:// URL without a query, e.g. https://wattline.example')
        .transform((v) => v.replace(/\/+$/, '')),
    ),
    describe:
      'the public base URL of the API, for the absolute links it answers with; never taken from a Host header (unset: http://HTTP_HOST:HTTP_PORT, localhost for a wildcard address)',
  },
  PUBLIC_RATE_LIMIT_PER_MINUTE: {
    schema: z.coerce.number().int().min(1).max(100_000).default(60),
    describe: 'requests a minute one address may make to the public (keyless) endpoints; more are answered 429 with Retry-After',
  },
  API_COMPUTE_THREADS: {
    schema: z.coerce.number().int().min(0).max(16).default(1),
    describe:
      'worker threads that compute bills and simulations off the event loop the API shares with the broker (0: on the main thread); past 16 queued a request a thread is answered 503 with Retry-After',
  },
  HTTP_HOST: { schema: z.string().min(1).default('0.0.0.0'), describe: 'address the HTTP server binds to' },
  OPENADR_WEBHOOK_CA: {
    schema: optional(z.string()),
    describe: 'PEM CA bundle trusted for OpenADR webhook callbacks besides the system roots (a VEN with a private CA)',
  },
  OPENADR_WEBHOOK_PRIVATE_NETWORKS: {
    schema: bool.default(false),
    describe:
      'allow OpenADR webhook callbacks to loopback, private and link-local addresses (VENs on the operator’s own network; off: refused at subscription and at every connect)',
  },
  OPENADR_WEBHOOK_ATTEMPTS: {
    schema: z.coerce.number().int().min(1).max(50).default(10),
    describe: 'tries of one webhook notification (back-off 1 s doubling to 5 min) before it is given up as failed',
  },
  KAFKA_BROKERS: {
    schema: optional(
      z.string().transform((v, ctx) => {
        const list = v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        for (const item of list) {
          if (!hostPort.safeParse(item).success) ctx.addIssue({ code: 'custom', message: `"${item}" is not host:port` });
        }
        return list;
      }),
    ),
    describe: 'comma-separated host:port; set: readings and tariffs go through Kafka (unset: in-process stream)',
  },
  KAFKA_TOPIC_PREFIX: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9._-]*$/)
      .default(''),
    describe: 'prefix for every Kafka topic name',
  },
  KAFKA_PARTITIONS: {
    schema: z.coerce.number().int().min(1).max(10_000).default(6),
    describe:
      'partitions of the topics Wattline creates when they are missing (meter.readings and its dead letters; compacted topics get 3)',
  },
  KAFKA_REPLICATION_FACTOR: {
    schema: optional(z.coerce.number().int().min(1).max(32)),
    describe: "replicas of each topic Wattline creates (unset: the cluster's default.replication.factor); 3 in production",
  },
  KAFKA_MIN_INSYNC_REPLICAS: {
    schema: z.coerce.number().int().min(1).max(32).default(1),
    describe:
      'replicas that must hold a record before an acks=all produce succeeds, for the topics Wattline creates; 2 in production with 3 replicas',
  },
  DATABASE_URL: {
    schema: optional(z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres://')),
    describe: 'postgres://… (unset: embedded PostgreSQL under DATA_DIR)',
  },
  REDIS_URL: {
    schema: optional(z.string().regex(/^(rediss?|redis-cluster):\/\/./, 'must start with redis://, rediss:// or redis-cluster://')),
    describe:
      'set: broker sessions, subscriptions, queued and retained messages, pub/sub, credential cache and revocations shared through Redis (several broker instances); interval closing as BullMQ jobs. redis-cluster://host:port,host:port,… names a Redis Cluster by any of its nodes',
  },
  MQTT_WORKERS: {
    schema: z.coerce.number().int().min(1).max(64).default(1),
    describe:
      'broker processes sharing the MQTT listeners (node:cluster), one per core; more than 1 needs REDIS_URL, DATABASE_URL and KAFKA_BROKERS (the broker app alone)',
  },
  MQTT_MAX_CONNECTIONS: {
    schema: z.coerce.number().int().min(1).default(100_000),
    describe: 'connections one broker instance accepts; more are refused with CONNACK 3',
  },
  MQTT_MAX_PACKET_BYTES: {
    schema: z.coerce.number().int().min(1024).max(268_435_455).default(262_144),
    describe: 'largest MQTT packet accepted; a larger one closes the connection before it is buffered',
  },
  MQTT_MAX_PUBLISH_RATE: {
    schema: z.coerce.number().positive().default(20),
    describe: 'sustained PUBLISH packets per second per client (bursts of 10 s allowed); faster clients are slowed down, not dropped',
  },
  MQTT_MAX_INFLIGHT: {
    schema: z.coerce.number().int().min(1).max(65535).default(100),
    describe: 'inbound QoS 2 messages a client may hold unreleased',
  },
  READINGS_RETENTION_MONTHS: {
    schema: optional(z.coerce.number().int().min(1).max(1200)),
    describe:
      'months of raw readings kept, counted back from the month of the oldest region clock; older whole months are dropped once every interval in them is closed (aggregates, bills and prices are kept; unset: kept for ever)',
  },
  SECRET_ROTATION_GRACE_SECONDS: {
    schema: z.coerce
      .number()
      .int()
      .min(0)
      .max(30 * 86_400)
      .default(86_400),
    describe: 'how long a device’s previous secret keeps working after POST /v1/meters/{id}/rotate-secret (0: not at all)',
  },
  AUTH_MAX_FAILURES: {
    schema: z.coerce.number().int().min(1).default(5),
    describe:
      'credential checks per client id per minute (a right secret refunds its check), and 20× that in failed checks per address, before further checks are limited to probes: one every 5 s per id, and from an address past its limit one a second per id; a secret that failed within the minute is refused unchecked',
  },
  DATA_DIR: { schema: z.string().min(1).default('./.data'), describe: 'where embedded state lives' },
  INTERVAL_SECONDS: {
    schema: seconds.refine((s) => 86400 % s === 0, 'must divide a day evenly (e.g. 300, 900, 1800)').default(1800),
    describe: 'length of a pricing interval',
  },
  ALLOWED_LATENESS_SECONDS: {
    schema: z.coerce.number().int().min(0).default(300),
    describe: 'event-time lateness accepted before an interval closes',
  },
  IDLE_CLOSE_SECONDS: {
    schema: seconds.default(30),
    describe: 'a region with no new readings for this long has its due intervals closed by the wall clock',
  },
  ADMIN_API_KEY: {
    schema: optional(z.string().min(16, 'must be at least 16 characters')),
    describe: 'bootstrap admin key for the REST API (unset: one is generated and printed once at start)',
  },
  ALLOW_ANONYMOUS_DISPLAYS: { schema: bool.default(false), describe: 'true: anonymous clients may subscribe (read only) to prices/#' },
  LOG_LEVEL: { schema: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'), describe: 'log verbosity' },
  LOG_FORMAT: {
    schema: z.enum(['text', 'json']).default('text'),
    describe: 'text: readable lines; json: one structured JSON line per event (pino)',
  },
  SHUTDOWN_GRACE_SECONDS: {
    schema: seconds.max(600).default(30),
    describe:
      'on SIGTERM/SIGINT, how long the drain (MQTT closed, stream handed over, consumers stopped) may take before the process exits with code 1',
  },
} as const;

type Variables = typeof CONFIG_VARIABLES;
export type WattlineConfig = { [K in keyof Variables]: z.output<Variables[K]['schema']> };

/** A configuration error: its message is the single line start-up prints before exiting. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): WattlineConfig {
  const out: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(CONFIG_VARIABLES)) {
    const raw = env[name];
    const result = (variable.schema as z.ZodTypeAny).safeParse(raw);
    if (!result.success) {
      const reason = result.error.issues[0]?.message ?? 'is invalid';
      throw new ConfigError(
        `Invalid configuration: ${name}=${JSON.stringify(raw)} ${reason.replace(/^Invalid input: /, '')} (${variable.describe})`,
      );
    }
    out[name] = result.data;
  }
  const config = out as WattlineConfig;
  if (config.MQTT_TLS_PORT !== undefined && (!config.TLS_CERT || !config.TLS_KEY)) {
    throw new ConfigError('Invalid configuration: MQTT_TLS_PORT is set but TLS_CERT and TLS_KEY are not both set');
  }
  if (config.KAFKA_REPLICATION_FACTOR !== undefined && config.KAFKA_MIN_INSYNC_REPLICAS > config.KAFKA_REPLICATION_FACTOR) {
    throw new ConfigError(
      `Invalid configuration: KAFKA_MIN_INSYNC_REPLICAS=${config.KAFKA_MIN_INSYNC_REPLICAS} exceeds KAFKA_REPLICATION_FACTOR=${config.KAFKA_REPLICATION_FACTOR}: no produce could succeed`,
    );
  }
  if (config.MQTT_WORKERS > 1 && (!config.REDIS_URL || !config.DATABASE_URL || !config.KAFKA_BROKERS)) {
    throw new ConfigError(
      'Invalid configuration: MQTT_WORKERS > 1 needs REDIS_URL, DATABASE_URL and KAFKA_BROKERS (the workers share their state through them)',
    );
  }
  return config;
}

/** The API's public base URL: PUBLIC_BASE_URL, else where it listens (localhost for a wildcard address). Never a request's Host header. */
export function publicBaseUrl(config: Pick<WattlineConfig, 'PUBLIC_BASE_URL' | 'HTTP_HOST' | 'HTTP_PORT'>): string {
  if (config.PUBLIC_BASE_URL) return config.PUBLIC_BASE_URL;
  const host = ['0.0.0.0', '::', '[::]'].includes(config.HTTP_HOST)
    ? 'localhost'
    : config.HTTP_HOST.includes(':')
      ? `[${config.HTTP_HOST}]`
      : config.HTTP_HOST;
  return `http://${host}:${config.HTTP_PORT}`;
}
