import { KAFKA_TOPICS } from '@wattline/contracts';
import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { WattlineConfig } from '@wattline/config';
import { createDataSource, runMigrations, startEmbeddedPostgres, type EmbeddedDatabase } from '@wattline/persistence';
import { createStream, type StreamPort } from '@wattline/stream';
import { InProcessControlBus, RedisControlBus, type ControlBus } from './control-bus';
import { HealthRegistry } from './health';
import { Metrics } from './metrics';

export interface Infrastructure {
  config: WattlineConfig;
  dataSource: DataSource;
  stream: StreamPort;
  controlBus: ControlBus;
  metrics: Metrics;
  health: HealthRegistry;
  close(): Promise<void>;
}

/** A consumer retrying for longer than this is not making progress, as far as /health is concerned. */
const STALL_MS = 2000;

/** Start-up stopped by a signal while it waited for a dependency: not a failure (runApp exits 0). */
export class StartAborted extends Error {
  constructor() {
    super('stopped before start-up completed');
  }
}

/** How long one start-up attempt on a dependency may take before it counts as failed. */
const START_ATTEMPT_MS = 10_000;

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Cleanup after a failed or stopped start-up: a client talking to a stalled dependency may never finish disconnecting, so it gets 2 s. */
async function settle(work: Promise<unknown>): Promise<void> {
  await withTimeout(work, 2000, 'cleanup timed out').catch(() => undefined);
}

/** A promise that rejects with StartAborted when `signal` fires, and a way to stop listening (one listener per attempt would pile up over a long outage). */
function onAbort(signal: AbortSignal | undefined): { rejected: Promise<never>; dispose(): void } {
  if (!signal) return { rejected: new Promise<never>(() => undefined), dispose: () => undefined };
  let listener = () => undefined as void;
  const rejected = new Promise<never>((_, reject) => {
    listener = () => reject(new StartAborted());
    if (signal.aborted) listener();
    else signal.addEventListener('abort', listener, { once: true });
  });
  rejected.catch(() => undefined);
  return { rejected, dispose: () => signal.removeEventListener('abort', listener) };
}

/** PostgreSQL's answers that no waiting mends (a wrong password, a database that does not exist): configuration, not an outage. */
const PERMANENT_SQLSTATES = new Set(['28P01', '28000', '3D000']);

/**
 * Runs `attempt` until it succeeds, with back-off (0.5 s doubling to 10 s): a dependency away at
 * start-up (or lost in the middle of it) is waited for, never a reason to exit. Says so once
 * when it first fails and once when it answers; a signal (`abort`) ends the wait, even inside
 * an attempt that hangs (a client retrying on its own). A refusal no waiting mends is thrown.
 */
export async function untilAvailable<T>(what: string, attempt: () => Promise<T>, logger: Logger, abort?: AbortSignal): Promise<T> {
  const started = Date.now();
  for (let n = 0; ; n++) {
    if (abort?.aborted) throw new StartAborted();
    const stop = onAbort(abort);
    try {
      const result = await Promise.race([attempt(), stop.rejected]);
      if (n > 0) logger.log(`${what} answered after ${((Date.now() - started) / 1000).toFixed(1)} s; start-up goes on`);
      return result;
    } catch (error) {
      if (error instanceof StartAborted || abort?.aborted) throw new StartAborted();
      if (PERMANENT_SQLSTATES.has((error as { code?: string }).code ?? '')) throw error;
      if (n === 0) logger.warn(`${what} unreachable (${(error as Error).message}); retrying with back-off until it answers`);
      const waitMs = Math.min(10_000, 500 * 2 ** Math.min(n, 5));
      await Promise.race([new Promise((resolve) => setTimeout(resolve, waitMs)), stop.rejected]).catch(() => undefined);
    } finally {
      stop.dispose();
    }
  }
}

/**
 * Brings up what every app needs, in order: the database (DATABASE_URL, or an embedded
 * PostgreSQL under DATA_DIR), its migrations, the stream (Kafka or in-process) and, with
 * REDIS_URL, the control bus; and registers a health check for each.
 */
export async function bootstrapInfrastructure(
  config: WattlineConfig,
  options: { app: string; migrate: boolean; abort?: AbortSignal },
): Promise<Infrastructure> {
  const logger = new Logger('Infrastructure');
  const metrics = new Metrics();
  const health = new HealthRegistry();
  let embedded: EmbeddedDatabase | null = null;
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres(config.DATA_DIR, (m) => logger.warn(m));
    databaseUrl = embedded.url;
    logger.log(`embedded PostgreSQL started under ${config.DATA_DIR}/postgres`);
  }
  let dataSource: DataSource | null = null;
  try {
    dataSource = await untilAvailable(
      'PostgreSQL',
      async () => {
        const candidate = createDataSource(databaseUrl!, { applicationName: `wattline-${options.app}` });
        try {
          await candidate.initialize();
        } catch (error) {
          if (candidate.isInitialized) await settle(candidate.destroy());
          throw error;
        }
        return candidate;
      },
      logger,
      options.abort,
    );
    if (options.migrate) {
      const applied = await runMigrations(dataSource);
      if (applied.length > 0) logger.log(`migrations applied: ${applied.join(', ')}`);
    }
  } catch (error) {
    if (dataSource?.isInitialized) await dataSource.destroy().catch(() => undefined);
    await embedded?.stop();
    throw error;
  }
  const database = dataSource;
  health.register('database', async () => {
    await database.query('SELECT 1');
    return { ok: true, ...(embedded ? { detail: 'embedded' } : {}) };
  });

  const streamLogger = new Logger('Stream');
  const stream = createStream(
    config,
    `wattline-${options.app}`,
    (level, message) =>
      level === 'error' ? streamLogger.error(message) : level === 'warn' ? streamLogger.warn(message) : streamLogger.log(message),
    {
      deadLettered: (topic, reason) => metrics.streamDeadLettered.inc({ topic: KAFKA_TOPICS[topic], reason }),
      retried: (topic, group) => metrics.streamRetries.inc({ topic: KAFKA_TOPICS[topic], group }),
    },
  );
  // Lag labelled by the contract's topic names (meter.readings), as an operator knows them.
  metrics.watchConsumerLag(async () => (await stream.lag()).map((l) => ({ ...l, topic: KAFKA_TOPICS[l.topic] })));
  try {
    // One attempt is bounded: a Kafka that accepts connections but does not answer (stalled) would
    // hold kafkajs in its own retries for minutes. An attempt that fails is undone before the next.
    await untilAvailable(
      stream.kind === 'kafka' ? 'Kafka' : 'the stream',
      async () => {
        try {
          await withTimeout(stream.start(), START_ATTEMPT_MS, `no answer within ${START_ATTEMPT_MS / 1000} s`);
        } catch (error) {
          await settle(stream.stop());
          throw error;
        }
      },
      logger,
      options.abort,
    );
  } catch (error) {
    await settle(stream.stop());
    await settle(database.destroy());
    await embedded?.stop();
    throw error;
  }
  logger.log(`stream: ${stream.kind}${config.KAFKA_BROKERS ? ` (${config.KAFKA_BROKERS.join(',')})` : ''}`);
  health.register('stream', async () => {
    const state = await stream.health();
    if (!state.reachable) return { ok: false, detail: `${stream.kind} unreachable${state.detail ? `: ${state.detail}` : ''}` };
    const stalled = state.consumers.filter((c) => c.state === 'crashed' || (c.state === 'retrying' && Date.now() - c.since > STALL_MS));
    if (stalled.length > 0) {
      return {
        ok: false,
        detail: stalled
          .map((c) => `consumer ${c.group} on ${c.topic} ${c.state} since ${new Date(c.since).toISOString()}: ${c.lastError ?? ''}`)
          .join('; '),
      };
    }
    return { ok: true, detail: stream.kind };
  });

  let controlBus: ControlBus = new InProcessControlBus();
  if (config.REDIS_URL) {
    const redisBus = new RedisControlBus(config.REDIS_URL, (m) => logger.warn(m));
    try {
      await untilAvailable('Redis', () => redisBus.listening(), logger, options.abort);
    } catch (error) {
      await settle(redisBus.close());
      await settle(stream.stop());
      await settle(database.destroy());
      await embedded?.stop();
      throw error;
    }
    controlBus = redisBus;
    health.register('redis', async () => ((await redisBus.ping()) ? { ok: true } : { ok: false, detail: 'Redis unreachable' }));
  }
  return {
    config,
    dataSource: database,
    stream,
    controlBus,
    metrics,
    health,
    close: async () => {
      await controlBus.close();
      await stream.stop();
      if (database.isInitialized) await database.destroy();
      if (embedded) await embedded.stop();
    },
  };
}
