import 'reflect-metadata';
import { ConfigError, loadConfig } from '@wattline/config';
import { bootstrapInfrastructure } from '@wattline/platform';

/** `npm run migrate`: applies pending TypeORM migrations to DATABASE_URL (or the embedded database). */
async function migrate(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const infra = await bootstrapInfrastructure({ ...config, KAFKA_BROKERS: undefined }, { app: 'migrate', migrate: true });
  const pending = await infra.dataSource.showMigrations();
  await infra.close();
  process.stdout.write(pending ? 'migrations still pending\n' : 'database schema is up to date\n');
  process.exit(pending ? 1 : 0);
}

migrate().catch((error: Error) => {
  process.stderr.write(`Migration failed: ${error.message}\n`);
  process.exit(1);
});
