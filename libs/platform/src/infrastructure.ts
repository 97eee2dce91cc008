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

/**
 * Brings up what every app needs, in order: the database (DATABASE_URL, or an embedded
 * PostgreSQL under DATA_DIR), its migrations, the stream (Kafka or in-process) and, with
 * REDIS_URL, the control bus; and registers a health check for each.
 */
export async function bootstrapInfrastructure(config: WattlineConfig, options: { app: string; migrate: boolean }): Promise<Infrastructure> {
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
  const dataSource = createDataSource(databaseUrl, { applicationName: `wattline-${options.app}` });
  try {
    await dataSource.initialize();
    if (options.migrate) {
      const applied = await runMigrations(dataSource);
      if (applied.length > 0) logger.log(`migrations applied: ${applied.join(', ')}`);
    }
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  health.register('database', async () => {
    await dataSource.query('SELECT 1');
    return { ok: true, ...(embedded ? { detail: 'embedded' } : {}) };
  });

  const streamLogger = new Logger('Stream');
  const stream = createStream(
    config,
    `wattline-${options.app}`,
    (level, message) =>
      level === 'error' ? streamLogger.error(message) : level === 'warn' ? streamLogger.warn(message) : streamLogger.log(message),
    {
      deadLettered: (topic, reason) => metrics.streamDeadLettered.inc({ topic, reason }),
      retried: (topic, group) => metrics.streamRetries.inc({ topic, group }),
    },
  );
  await stream.start();
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
    await redisBus.listening();
    controlBus = redisBus;
    health.register('redis', async () => ((await redisBus.ping()) ? { ok: true } : { ok: false, detail: 'Redis unreachable' }));
  }
  return {
    config,
    dataSource,
    stream,
    controlBus,
    metrics,
    health,
    close: async () => {
      await controlBus.close();
      await stream.stop();
      if (dataSource.isInitialized) await dataSource.destroy();
      if (embedded) await embedded.stop();
    },
  };
}
