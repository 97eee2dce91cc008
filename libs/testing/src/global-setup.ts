import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { createDataSource, runMigrations, startEmbeddedPostgres } from '@wattline/persistence';
import { REPO_ROOT, databaseUrl } from './services';

/**
 * Starts what the integration and end-to-end tests need, unless it is already there:
 * a real Kafka broker (the project's Maven-resolved KRaft script) and PostgreSQL (the local
 * server on 5432, else an embedded one). A migrated template database is prepared once.
 */
export default async function globalSetup(globalConfig: { selectProjects?: string[] }): Promise<void> {
  const projects = globalConfig.selectProjects;
  if (projects && projects.every((p) => p === 'unit')) return;
  const log = (m: string) => process.stderr.write(`[test services] ${m}\n`);
  const stops: (() => Promise<void>)[] = [];

  if (!process.env.WATTLINE_TEST_KAFKA_BROKERS) {
    const { startKafka } = require(path.join(REPO_ROOT, 'scripts', 'kafka', 'kafka.cjs'));
    const kafka = await startKafka({ dir: path.join(REPO_ROOT, '.data', `kafka-test-${process.pid}`), log });
    process.env.WATTLINE_TEST_KAFKA_BROKERS = kafka.brokers.join(',');
    stops.push(() => kafka.stop());
  }

  let adminUrl = process.env.WATTLINE_TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  if (!(await canConnect(adminUrl))) {
    const dir = path.join(REPO_ROOT, '.data', `pg-test-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    log('no PostgreSQL on 127.0.0.1:5432; starting an embedded one');
    const embedded = await startEmbeddedPostgres(dir, log);
    adminUrl = databaseUrl(embedded.url, 'postgres');
    stops.push(() => embedded.stop());
  }
  process.env.WATTLINE_TEST_DATABASE_ADMIN_URL = adminUrl;

  const template = `wl_template_${process.pid}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  const dataSource = createDataSource(databaseUrl(adminUrl, template));
  await dataSource.initialize();
  await runMigrations(dataSource);
  await dataSource.destroy();
  process.env.WATTLINE_TEST_TEMPLATE_DATABASE = template;
  stops.push(async () => {
    const client = new Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await client.end();
  });
  (globalThis as { __wattlineTestStops?: (() => Promise<void>)[] }).__wattlineTestStops = stops;
  log(`kafka ${process.env.WATTLINE_TEST_KAFKA_BROKERS}, postgres ${new URL(adminUrl).host}, template ${template}`);
}

async function canConnect(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}
