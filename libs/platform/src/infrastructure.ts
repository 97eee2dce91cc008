import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { WattlineConfig } from '@wattline/config';
import { createDataSource, runMigrations, startEmbeddedPostgres, type EmbeddedDatabase } from '@wattline/persistence';
import { createStream, type StreamPort } from '@wattline/stream';
import { InProcessControlBus, RedisControlBus, type ControlBus } from './control-bus';

export interface Infrastructure {
  config: WattlineConfig;
  dataSource: DataSource;
  stream: StreamPort;
  controlBus: ControlBus;
  close(): Promise<void>;
}

/**
 * Brings up what every app needs, in order: the database (DATABASE_URL, or an embedded
 * PostgreSQL under DATA_DIR), its migrations, and the stream (Kafka or in-process).
 */
export async function bootstrapInfrastructure(
  config: WattlineConfig,
  options: { app: string; migrate: boolean },
): Promise<Infrastructure> {
  const logger = new Logger('Infrastructure');
  let embedded: EmbeddedDatabase | null = null;
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres(config.DATA_DIR, (m) => logger.warn(m));
    databaseUrl = embedded.url;
    logger.log(`embedded PostgreSQL started under ${config.DATA_DIR}/postgres`);
  }
  const dataSource = createDataSource(databaseUrl, { applicationName: `wattline-${options.app}` });
  await dataSource.initialize();
  if (options.migrate) {
    const applied = await runMigrations(dataSource);
    if (applied.length > 0) logger.log(`migrations applied: ${applied.join(', ')}`);
  }
  const streamLogger = new Logger('Stream');
  const stream = createStream(config, `wattline-${options.app}`, (level, message) =>
    level === 'error' ? streamLogger.error(message) : level === 'warn' ? streamLogger.warn(message) : streamLogger.log(message),
  );
  await stream.start();
  logger.log(`stream: ${stream.kind}${config.KAFKA_BROKERS ? ` (${config.KAFKA_BROKERS.join(',')})` : ''}`);
  let controlBus: ControlBus = new InProcessControlBus();
  if (config.REDIS_URL) {
    const redisBus = new RedisControlBus(config.REDIS_URL);
    await redisBus.listening();
    controlBus = redisBus;
  }
  return {
    config,
    dataSource,
    stream,
    controlBus,
    close: async () => {
      await controlBus.close();
      await stream.stop();
      if (dataSource.isInitialized) await dataSource.destroy();
      if (embedded) await embedded.stop();
    },
  };
}
