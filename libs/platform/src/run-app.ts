import 'reflect-metadata';
import { Logger, type INestApplicationContext } from '@nestjs/common';
import { ConfigError, loadConfig, type WattlineConfig } from '@wattline/config';
import { StartAborted, bootstrapInfrastructure, type Infrastructure } from './infrastructure';
import { installLogger } from './logging';

export interface RunningApp {
  infra: Infrastructure;
  context: INestApplicationContext;
  /** Runs `hook` first when the process is told to stop (the demo stops its simulated city). */
  beforeStop(hook: () => Promise<void>): void;
  stop(): Promise<void>;
}

/**
 * The start-up every app shares: validate configuration (a bad value stops here with one
 * line naming it), bring up the infrastructure, build the Nest application; and on SIGINT or
 * SIGTERM drain it in order and exit 0 within SHUTDOWN_GRACE_SECONDS (else 1):
 *  1. `beforeStop` hooks (the demo's simulator);
 *  2. Nest's `beforeApplicationShutdown`: the broker stops accepting and closes every MQTT
 *     client, so nothing more is acknowledged; then the HTTP server closes;
 *  3. Nest's `onApplicationShutdown`: consumers stop — the in-process stream first hands
 *     over every reading it acknowledged — and commit;
 *  4. the infrastructure: stream, database pool, embedded PostgreSQL last.
 */
export async function runApp(
  app: string,
  options: { migrate: boolean },
  build: (infra: Infrastructure) => Promise<INestApplicationContext>,
): Promise<RunningApp> {
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
  if (config.MQTT_WORKERS > 1 && app !== 'broker') {
    process.stderr.write(
      `Invalid configuration: MQTT_WORKERS=${config.MQTT_WORKERS} applies to the broker app alone (node dist/apps/broker/main.js), not to ${app}\n`,
    );
    process.exit(78);
  }
  installLogger(config);
  const logger = new Logger(app);
  // A signal while start-up waits for a dependency (Kafka, PostgreSQL, Redis away) stops the
  // wait and exits 0: an outage is no reason for a failed exit. Replaced by the drain below once up.
  const abort = new AbortController();
  const early = () => abort.abort();
  process.on('SIGINT', early).on('SIGTERM', early);
  let infra: Infrastructure;
  try {
    infra = await bootstrapInfrastructure(config, { app, migrate: options.migrate, abort: abort.signal });
  } catch (error) {
    if (error instanceof StartAborted) {
      logger.log('stopped before start-up completed (a dependency was still away)');
      process.exit(0);
    }
    throw error;
  }

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
  const hooks: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      logger.log('shutting down');
      for (const hook of hooks) await hook().catch((error: Error) => logger.warn(`stop hook failed: ${error.message}`));
      await context.close();
      await infra.close();
      logger.log('stopped');
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return; // a second signal changes nothing: the deadline below still holds
      const deadline = setTimeout(() => {
        process.stderr.write(`${app}: shutdown took longer than SHUTDOWN_GRACE_SECONDS=${config.SHUTDOWN_GRACE_SECONDS}; exiting\n`);
        process.exit(1);
      }, config.SHUTDOWN_GRACE_SECONDS * 1000);
      deadline.unref();
      stop().then(
        () => process.exit(0),
        (error: Error) => {
          logger.error(`shutdown failed: ${error.message}`);
          process.exit(1);
        },
      );
    });
  }
  process.off('SIGINT', early).off('SIGTERM', early);
  // A signal that came while the application was being built: drain it now, as one after would be.
  if (abort.signal.aborted) process.emit('SIGTERM');
  return { infra, context, beforeStop: (hook) => hooks.push(hook), stop };
}

/** Entry points call this: an unexpected start-up failure prints its reason and exits non-zero. */
export function exitOnFailure(promise: Promise<unknown>): void {
  promise.catch((error: Error) => {
    process.stderr.write(`Start-up failed: ${error.message}\n`);
    process.exit(1);
  });
}
