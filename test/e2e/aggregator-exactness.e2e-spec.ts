import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AssignerProtocol, Kafka, logLevel } from 'kafkajs';
import mqtt from 'mqtt';
import { Client } from 'pg';
import type { ReadingRecord } from '@wattline/contracts';
import {
  AUSGRID_SOLAR_HOME_CSV,
  DATA_DIR,
  LONDON_HOUSEHOLDS_CSV,
  readAusgridSolarHome,
  readLondonHouseholds,
  slotToReading,
  solarSlotToReading,
} from '@wattline/datasets';
import { DEFAULT_PRICING_MODEL } from '@wattline/domain';
import { CatalogRepository, createDataSource } from '@wattline/persistence';
import { KafkaStream } from '@wattline/stream';
import {
  createTestDatabase,
  expectEventually,
  restClient,
  startPlatformProcess,
  startRedis,
  testServices,
  type PlatformProcess,
} from '@wattline/testing';

/**
 * Every reading counted once: aggregates equal, to the watt-hour, totals computed straight
 * from the CSV files by an independent path (the text split by hand, kWh and kW turned into
 * milli-watt-hours with integer arithmetic) — through MQTT with duplicates, reordering and
 * backlog batches; through an aggregator SIGKILLed mid-stream; and through two replicas.
 */
type Totals = Map<string, { demand: bigint; supply: bigint }>; // key: region|ISO interval start

/** kWh as printed in the CSV → mWh, rounded half up at the 7th decimal (the files carry float artefacts such as 0.41899999999999998). */
const kwhToMilliWh = (decimal: string) => {
  const [whole, fraction = ''] = decimal.split('.');
  const digits = (fraction + '0000000').slice(0, 7);
  return BigInt(whole) * 1_000_000n + BigInt(digits.slice(0, 6)) + (Number(digits[6]) >= 5 ? 1n : 0n);
};
const add = (totals: Totals, key: string, demand: bigint, supply: bigint) => {
  const t = totals.get(key) ?? { demand: 0n, supply: 0n };
  totals.set(key, { demand: t.demand + demand, supply: t.supply + supply });
};

/** LCL: kWh per half hour → mWh. */
function expectedLondon(homes: Set<string>, fromIso: string, toIso: string, totals: Totals = new Map()): Totals {
  for (const line of readFileSync(path.join(DATA_DIR, LONDON_HOUSEHOLDS_CSV), 'utf8').split('\n').slice(1)) {
    const [id, , , , ts, kwh] = line.split(',');
    if (!homes.has(id)) continue;
    const iso = `${ts.replace(' ', 'T')}.000Z`;
    if (iso < fromIso || iso >= toIso) continue;
    add(totals, `london|${iso}`, kwhToMilliWh(kwh), 0n);
  }
  return totals;
}

/** Ausgrid: average kW over half an hour → mWh (× 500), slots at +10:00. */
function expectedSydney(fromIso: string, toIso: string, totals: Totals): Totals {
  for (const line of readFileSync(path.join(DATA_DIR, AUSGRID_SOLAR_HOME_CSV), 'utf8').split('\n').slice(1)) {
    if (!line) continue;
    const [ts, gc, gg] = line.split(',');
    const iso = new Date(`${ts.replace(' ', 'T')}+10:00`).toISOString();
    if (iso < fromIso || iso >= toIso) continue;
    // kW with up to ~17 decimals: round each slot to the mWh, as a meter would report it.
    const mwh = (kw: string) => BigInt(Math.round(Number(kw) * 500 * 1000));
    add(totals, `sydney|${iso}`, mwh(gc), mwh(gg));
  }
  return totals;
}

async function storedTotals(databaseUrl: string): Promise<Totals> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const { rows } = await db.query(
    `SELECT region_id, interval_start, (demand_wh * 1000)::bigint AS d, (supply_wh * 1000)::bigint AS s FROM interval_aggregates`,
  );
  await db.end();
  return new Map(
    rows.map((r) => [`${r.region_id}|${(r.interval_start as Date).toISOString()}`, { demand: BigInt(r.d), supply: BigInt(r.s) }]),
  );
}

async function storedReadingCount(databaseUrl: string): Promise<number> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const { rows } = await db.query('SELECT count(*)::int AS n FROM readings');
  await db.end();
  return rows[0].n;
}

const sorted = (totals: Totals) => [...totals.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v.demand, v.supply]);

describe('exact interval accounting', () => {
  it('matches the CSV totals after an MQTT replay with duplicates, reordering and backlog batches', async () => {
    const db = await createTestDatabase({ empty: true });
    const platform = await startPlatformProcess({
      KAFKA_BROKERS: testServices().kafkaBrokers,
      KAFKA_TOPIC_PREFIX: `exact${Date.now().toString(36)}.`,
      DATABASE_URL: db.url,
      ALLOWED_LATENESS_SECONDS: '86400',
      IDLE_CLOSE_SECONDS: '3600',
    });
    const clients: mqtt.MqttClient[] = [];
    try {
      const api = restClient(platform.httpUrl, platform.adminKey);
      await api.post('/v1/regions', { id: 'london', name: 'London' });
      await api.post('/v1/regions', {
        id: 'sydney',
        name: 'Sydney',
        timezone: 'Australia/Sydney',
        pricing: { ...DEFAULT_PRICING_MODEL, currency: 'AUD' },
      });
      const connect = async (id: string, regionId: string, kind = 'meter') => {
        const { body } = await api.post('/v1/meters', { id, regionId, kind });
        const client = await mqtt.connectAsync(platform.mqttUrl, {
          clientId: id,
          username: id,
          password: body.mqtt.password,
          reconnectPeriod: 0,
        });
        clients.push(client);
        return client;
      };

      // London: 20 real homes, 2013-12-09 (a Monday), sent four ways.
      const day = { from: '2013-12-09T00:00:00.000Z', to: '2013-12-10T00:00:00.000Z' };
      const byHome = new Map<string, ReturnType<typeof slotToReading>[]>();
      for await (const slot of readLondonHouseholds()) {
        if (byHome.size === 20 && !byHome.has(slot.lclId)) break;
        const iso = new Date(slot.slotStart).toISOString();
        if (iso < day.from || iso >= day.to) continue;
        byHome.set(slot.lclId, [...(byHome.get(slot.lclId) ?? []), slotToReading(slot)]);
      }
      let way = 0;
      for (const [id, readings] of byHome) {
        const meter = await connect(id, 'london');
        const topic = `meters/${id}/readings`;
        switch (way++ % 4) {
          case 0: // out of order, one at a time
            for (const r of [...readings].reverse()) await meter.publishAsync(topic, JSON.stringify(r), { qos: 1 });
            break;
          case 1: // the whole day as one backlog batch after an outage
            await meter.publishAsync(topic, JSON.stringify({ readings }), { qos: 1 });
            break;
          case 2: // everything twice (a meter that resends), and the batch again on top
            for (const r of readings) {
              await meter.publishAsync(topic, JSON.stringify(r), { qos: 1 });
              await meter.publishAsync(topic, JSON.stringify(r), { qos: 1 });
            }
            await meter.publishAsync(topic, JSON.stringify({ readings: readings.slice(0, 24) }), { qos: 1 });
            break;
          default: // exactly once, QoS 2
            for (const r of readings) await meter.publishAsync(topic, JSON.stringify(r), { qos: 2 });
        }
      }

      // Sydney: the solar home on a summer day, its meter (consumption) and its inverter (generation).
      const sunny = { from: '2012-01-14T14:00:00.000Z', to: '2012-01-15T14:00:00.000Z' };
      const solar = [];
      for await (const slot of readAusgridSolarHome()) {
        const iso = new Date(slot.slotStart).toISOString();
        if (iso >= sunny.from && iso < sunny.to) solar.push(solarSlotToReading(slot));
      }
      const homeMeter = await connect('ausgrid-12-meter', 'sydney');
      const inverter = await connect('ausgrid-12-pv', 'sydney', 'inverter');
      for (const r of [...solar].reverse()) {
        await homeMeter.publishAsync(
          'meters/ausgrid-12-meter/readings',
          JSON.stringify({ ts: r.ts, periodS: r.periodS, consumptionWh: r.consumptionWh }),
          { qos: 1 },
        );
      }
      await inverter.publishAsync(
        'meters/ausgrid-12-pv/readings',
        JSON.stringify({ readings: solar.map((r) => ({ ts: r.ts, periodS: r.periodS, generationWh: r.generationWh })) }),
        { qos: 1 },
      );

      const expected = expectedSydney(sunny.from, sunny.to, expectedLondon(new Set(byHome.keys()), day.from, day.to));
      const distinct = [...byHome.values()].reduce((n, r) => n + r.length, 0) + solar.length * 2;
      await expectEventually(async () => ((await storedReadingCount(db.url)) === distinct ? true : undefined), {
        what: `${distinct} distinct readings`,
        timeoutMs: 60_000,
      });
      expect(sorted(await storedTotals(db.url))).toEqual(sorted(expected));
      expect([...expected.values()].some((t) => t.supply > 0n)).toBe(true); // the sun was out
    } finally {
      await Promise.all(clients.map((c) => c.endAsync(true)));
      await platform.stop();
      await db.drop();
    }
  });

  describe('aggregator processes on a pre-filled topic', () => {
    const homes = new Set<string>();
    const week = { from: '2013-12-02T00:00:00.000Z', to: '2013-12-09T00:00:00.000Z' };
    let records: ReadingRecord[];
    let expected: Totals;

    beforeAll(async () => {
      records = [];
      for await (const slot of readLondonHouseholds()) {
        const iso = new Date(slot.slotStart).toISOString();
        if (iso < week.from || iso >= week.to) continue;
        homes.add(slot.lclId);
        // Received as a live broker would have: at the end of the half hour it measured (event time follows it).
        const reading = slotToReading(slot);
        records.push({ ...reading, seq: null, generationWh: 0, meterId: slot.lclId, regionId: 'london', receivedAt: reading.ts });
      }
      expected = expectedLondon(homes, week.from, week.to);
    });

    /** A fresh database and topic holding the week, with every 10th reading produced twice. */
    const prepare = async () => {
      const db = await createTestDatabase();
      const dataSource = createDataSource(db.url);
      await dataSource.initialize();
      await new CatalogRepository(dataSource).createRegion({
        id: 'london',
        name: 'London',
        timezone: 'UTC',
        pricing: DEFAULT_PRICING_MODEL,
      });
      await dataSource.destroy();
      const prefix = `agg${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}.`;
      const stream = new KafkaStream({ brokers: testServices().kafkaBrokers.split(','), topicPrefix: prefix, clientId: 'test-producer' });
      await stream.start();
      const withDuplicates = records.flatMap((r, i) => (i % 10 === 0 ? [r, r] : [r]));
      for (let i = 0; i < withDuplicates.length; i += 2000) {
        await stream.publish(
          'readings',
          withDuplicates.slice(i, i + 2000).map((r) => ({ key: r.meterId, value: r })),
        );
      }
      await stream.stop();
      const env = {
        KAFKA_BROKERS: testServices().kafkaBrokers,
        KAFKA_TOPIC_PREFIX: prefix,
        DATABASE_URL: db.url,
        LOG_LEVEL: 'log',
        ALLOWED_LATENESS_SECONDS: '86400',
        IDLE_CLOSE_SECONDS: '3600',
      };
      return { db, env };
    };
    const aggregator = (env: Record<string, string>) => startPlatformProcess(env, { app: 'aggregator', readyLine: /consuming readings/ });

    it(`loses and doubles nothing when the aggregator is SIGKILLed mid-stream (${'a week of 79 homes'})`, async () => {
      const { db, env } = await prepare();
      let process: PlatformProcess | null = await aggregator(env);
      try {
        await expectEventually(async () => ((await storedReadingCount(db.url)) > records.length / 3 ? true : undefined), {
          what: 'a third stored',
          intervalMs: 20,
        });
        expect(await process.kill('SIGKILL')).toBeNull();
        const atKill = await storedReadingCount(db.url);
        expect(atKill).toBeLessThan(records.length); // killed mid-stream, not after
        process = await aggregator(env);
        await expectEventually(async () => ((await storedReadingCount(db.url)) === records.length ? true : undefined), {
          what: 'all readings',
          timeoutMs: 90_000,
        });
        expect(sorted(await storedTotals(db.url))).toEqual(sorted(expected));
      } finally {
        await process?.stop();
        await db.drop();
      }
    });

    it('gives the same aggregates with two replicas in one consumer group as with one, and prices each interval once', async () => {
      const { db, env: base } = await prepare();
      const redis = await startRedis();
      // With Redis the closing and pricing run as a BullMQ job scheduler shared by both replicas.
      // No lateness: intervals close as event time passes them, so each day's cut-off finds history.
      const env = { ...base, REDIS_URL: redis.url, IDLE_CLOSE_SECONDS: '2', ALLOWED_LATENESS_SECONDS: '0' };
      const replicas = await Promise.all([aggregator(env), aggregator(env)]);
      try {
        await expectEventually(async () => ((await storedReadingCount(db.url)) === records.length ? true : undefined), {
          what: 'all readings',
          timeoutMs: 90_000,
        });
        // Both replicas are members of the group, each with partitions of its own.
        const admin = new Kafka({ brokers: testServices().kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
        await admin.connect();
        const { groups } = await admin.describeGroups([`${env.KAFKA_TOPIC_PREFIX}aggregator.readings`]);
        await admin.disconnect();
        const assigned = groups[0].members.map(
          (m) =>
            AssignerProtocol.MemberAssignment.decode(m.memberAssignment)!.assignment[`${env.KAFKA_TOPIC_PREFIX}meter.readings`]?.length ??
            0,
        );
        expect(assigned).toHaveLength(2);
        expect(assigned.every((n) => n > 0)).toBe(true);
        expect(sorted(await storedTotals(db.url))).toEqual(sorted(expected));

        // Each day after the first (2013-12-03 to 12-09) is priced at its cut-off, 16:00 the day
        // before in event time: 7 × 48 firm prices, each stored and produced to `tariffs` exactly
        // once although both replicas run the scheduler and the outbox.
        const intervals = 7 * 48;
        const tariffRows = async () => {
          const client = new Client({ connectionString: db.url });
          await client.connect();
          const { rows } = await client.query('SELECT count(*)::int AS n, count(published_at)::int AS published FROM tariffs');
          await client.end();
          return rows[0];
        };
        await expectEventually(async () => ((await tariffRows()).published === intervals ? true : undefined), {
          what: `${intervals} tariffs published`,
          timeoutMs: 60_000,
        });
        expect((await tariffRows()).n).toBe(intervals);
        const kafkaAdmin = new Kafka({ brokers: testServices().kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
        await kafkaAdmin.connect();
        const offsets = await kafkaAdmin.fetchTopicOffsets(`${env.KAFKA_TOPIC_PREFIX}tariffs`);
        await kafkaAdmin.disconnect();
        expect(offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0)).toBe(intervals);
        expect(replicas.every((r) => /interval closing scheduled through BullMQ/.test(r.output()))).toBe(true);
      } finally {
        await Promise.all(replicas.map((r) => r.stop()));
        await db.drop();
        await redis.stop();
      }
    });
  });
});
