import { Client } from 'pg';
import type { ReadingRecord } from '@wattline/contracts';
import { readLondonHouseholds, slotToReading } from '@wattline/datasets';
import { DEFAULT_PRICING_MODEL } from '@wattline/domain';
import { CatalogRepository, createDataSource, runMigrations } from '@wattline/persistence';
import { KafkaStream } from '@wattline/stream';
import { startPlatformProcess } from '@wattline/testing';
import { round } from '../context';

/**
 * The aggregator's sustained store rate: the whole LCL extract (79 homes × 1,344 half hours)
 * is produced to `meter.readings` first, then one aggregator process (its own app, as in a
 * scaled-out deployment) drains it into PostgreSQL. The rate is taken between the first and
 * the last stored reading, so consumer-group start-up is not counted.
 */
export async function runAggregatorBench(options: { brokers: string[]; databaseUrl: string; log: (line: string) => void }) {
  const { log } = options;
  const limit = Number(process.env.BENCH_AGGREGATOR_READINGS ?? Infinity);
  const dataSource = createDataSource(options.databaseUrl);
  await dataSource.initialize();
  await runMigrations(dataSource);
  const catalog = new CatalogRepository(dataSource);
  await catalog.createRegion({ id: 'london', name: 'London', timezone: 'UTC', pricing: DEFAULT_PRICING_MODEL });

  const prefix = `benchagg${Date.now()}.`;
  const stream = new KafkaStream({ brokers: options.brokers, topicPrefix: prefix, clientId: 'bench-producer' });
  await stream.start();
  const records: ReadingRecord[] = [];
  const meters = new Set<string>();
  for await (const slot of readLondonHouseholds()) {
    if (records.length >= limit) break;
    if (!meters.has(slot.lclId)) {
      meters.add(slot.lclId);
      await catalog.createMeter({ id: slot.lclId, regionId: 'london', kind: 'meter', passwordHash: 'x' });
    }
    records.push({ ...slotToReading(slot), seq: null, generationWh: 0, meterId: slot.lclId, regionId: 'london', receivedAt: Date.now() });
  }
  log(`  producing ${records.length} readings of ${meters.size} real households to ${prefix}meter.readings`);
  for (let i = 0; i < records.length; i += 5000) {
    await stream.publish(
      'readings',
      records.slice(i, i + 5000).map((r) => ({ key: r.meterId, value: r })),
    );
  }
  await stream.stop();
  await dataSource.destroy();

  const aggregator = await startPlatformProcess(
    {
      KAFKA_BROKERS: options.brokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      DATABASE_URL: options.databaseUrl,
      LOG_LEVEL: 'log',
      ALLOWED_LATENESS_SECONDS: '86400',
      IDLE_CLOSE_SECONDS: '3600',
    },
    { app: 'aggregator', readyLine: /consuming readings/ },
  );
  const db = new Client({ connectionString: options.databaseUrl });
  await db.connect();
  const samples: { t: number; stored: number }[] = [];
  try {
    const deadline = Date.now() + 10 * 60_000;
    for (;;) {
      const { rows } = await db.query('SELECT count(*)::int AS n FROM readings');
      samples.push({ t: Date.now(), stored: rows[0].n });
      if (rows[0].n >= records.length) break;
      if (Date.now() > deadline) throw new Error(`aggregator stored only ${rows[0].n} of ${records.length} in 10 minutes`);
      if (samples.length % 8 === 0) log(`  aggregator: ${rows[0].n}/${records.length} stored`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const { rows } = await db.query('SELECT sum(readings)::int AS counted FROM interval_aggregates');
    if (rows[0].counted !== records.length) throw new Error(`aggregates count ${rows[0].counted} readings, expected ${records.length}`);
  } finally {
    await db.end();
    await aggregator.stop();
  }
  const first = samples.find((s) => s.stored > 0)!;
  const last = samples[samples.length - 1];
  const seconds = (last.t - first.t) / 1000;
  const readingsPerSecond = Math.round((last.stored - first.stored) / Math.max(seconds, 0.001));
  log(`  aggregator: ${records.length} readings stored and summed; ${readingsPerSecond} readings/s sustained`);
  return { readings: records.length, households: meters.size, seconds: round(seconds, 2), readingsPerSecond };
}
