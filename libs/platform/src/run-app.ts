import 'reflect-metadata';
import { Logger, type INestApplicationContext, type LogLevel } from '@nestjs/common';
import { ConfigError, loadConfig, type WattlineConfig } from '@wattline/config';
import { bootstrapInfrastructure, type Infrastructure } from './infrastructure';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/**
 * The start-up every app shares: validate configuration (a bad value stops here with one
 * line naming it), bring up the infrastructure, build the Nest application, and shut all of
 * it down in order on SIGINT/SIGTERM.
 */
export async function runApp(
  app: string,
  options: { migrate: boolean },
  build: (infra: Infrastructure) => Promise<INestApplicationContext>,
): Promise<{ infra: Infrastructure; context: INestApplicationContext; stop: () => Promise<void> }> {
  let config: WattlineConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  Logger.overrideLogger(LEVELS.slice(0, LEVELS.indexOf(config.LOG_LEVEL) + 1));
  const logger = new Logger(app);
  const infra = await bootstrapInfrastructure(config, { app, migrate: options.migrate });
  if (!options.migrate && (await infra.dataSource.showMigrations())) {
    await infra.close();
    process.stderr.write('Database schema is behind: run `node dist/apps/wattline/migrate.js` (or `npm run migrate`) first\n');
    process.exit(78);
  }
  let context: INestApplicationContext;
  try {
    context = await build(infra);
  } catch (error) {
    await infra.close().catch(() => undefined);
    throw error;
  }
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      logger.log('shutting down');
      await context.close();
      await infra.close();
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stop().then(
        () => process.exit(0),
        (error: Error) => {
          logger.error(`shutdown failed: ${error.message}`);
          process.exit(1);
        },
      );
    });
  }
  return { infra, context, stop };
}

/** Entry points call this: an unexpected start-up failure prints its reason and exits non-zero. */
export function exitOnFailure(promise: Promise<unknown>): void {
  promise.catch((error: Error) => {
    process.stderr.write(`Start-up failed: ${error.message}\n`);
    process.exit(1);
  });
}
