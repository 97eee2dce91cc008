import { readFileSync } from 'node:fs';
import path from 'node:path';
import Decimal from 'decimal.js';
import { Kafka, logLevel } from 'kafkajs';
import mqtt from 'mqtt';
import { DATA_DIR } from '@wattline/datasets';
import {
  createTestDatabase,
  expectEventually,
  restClient,
  startPlatformProcess,
  testServices,
  type PlatformProcess,
} from '@wattline/testing';

/**
 * Low Carbon London's 2013 dynamic time-of-use tariff, loaded as a published schedule (the CSV
 * as it ships in data/, through `POST /v1/regions/{id}/schedules`), must come out of Wattline
 * exactly: every one of its 17,520 half hours, at its time, at its price, compared row by row
 * with the CSV — through the REST API and on the `tariffs` Kafka topic.
 */
const CSV = path.join(DATA_DIR, 'lcl_dtou_tariff_2013.csv');

describe('the LCL 2013 dynamic tariff as a published schedule', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;
  const prefix = `lcl${Date.now().toString(36)}.`;

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    platform = await startPlatformProcess({ DATABASE_URL: db.url, KAFKA_BROKERS: testServices().kafkaBrokers, KAFKA_TOPIC_PREFIX: prefix });
  });

  afterAll(async () => {
    await platform?.stop();
    await db?.drop();
  });

  it('publishes exactly the CSV’s prices at exactly its half hours, row by row', async () => {
    const api = restClient(platform.httpUrl, platform.adminKey);
    const text = readFileSync(CSV, 'utf8');
    // An independent reading of the CSV: pence to pounds by moving the decimal point, no floats.
    const expected = text
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => {
        const [time, band, pence] = line.split(',');
        return { validFrom: `${time.replace(' ', 'T')}.000Z`, band, price: new Decimal(pence).dividedBy(100) };
      });
    expect(expected).toHaveLength(17_520);

    expect(
      (
        await api.post('/v1/regions', {
          id: 'lcl',
          name: 'LCL dToU 2013',
          timezone: 'Europe/London',
          pricing: { model: 'schedule', currency: 'GBP', fallbackPrice: '0.1176' },
        })
      ).status,
    ).toBe(201);
    const upload = await fetch(
      `${platform.httpUrl}/v1/regions/lcl/schedules?timeColumn=timestamp_gmt&priceColumn=unit_rate_p_per_kwh&bandColumn=tariff_band&divisor=100&timeZone=UTC`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${platform.adminKey}`, 'content-type': 'text/csv' },
        body: text,
      },
    );
    expect(upload.status).toBe(201);
    expect(await upload.json()).toEqual({ stored: 17_520, from: '2013-01-01T00:00:00.000Z', to: '2014-01-01T00:00:00.000Z' });

    // Event time: a meter in the region reports on 31 December 2012, then on 31 December 2013
    // after 16:00 — every day's cut-off in between has passed.
    const { body } = await api.post('/v1/meters', { id: 'lcl-meter', regionId: 'lcl' });
    const meter = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: 'lcl-meter',
      username: 'lcl-meter',
      password: body.mqtt.password,
      reconnectPeriod: 0,
    });
    await meter.publishAsync(
      'meters/lcl-meter/readings',
      JSON.stringify({ ts: '2012-12-31T12:00:00Z', periodS: 1800, consumptionWh: 210 }),
      { qos: 1 },
    );
    await expectEventually(
      async () => ((await api.get('/v1/regions/lcl/tariffs/current')).body.validFrom === '2012-12-31T12:00:00.000Z' ? true : undefined),
      { what: 'the region’s clock at 2012-12-31' },
    );
    await meter.publishAsync(
      'meters/lcl-meter/readings',
      JSON.stringify({ ts: '2013-12-31T16:30:00Z', periodS: 1800, consumptionWh: 250 }),
      { qos: 1 },
    );
    await meter.endAsync();

    const published = await expectEventually(
      async () => {
        const items: {
          validFrom: string;
          validTo: string;
          price: string;
          priceExTax: string;
          level: number;
          basis: string;
          firm: boolean;
        }[] = [];
        let cursor: string | null = null;
        do {
          const page: { body: { items: typeof items; nextCursor: string | null } } = await api.get(
            `/v1/regions/lcl/tariffs?from=2013-01-01T00:00:00Z&to=2014-01-01T00:00:00Z&limit=10000${cursor ? `&cursor=${cursor}` : ''}`,
          );
          items.push(...page.body.items);
          cursor = page.body.nextCursor;
        } while (cursor);
        return items.length === expected.length ? items : undefined;
      },
      { what: '17,520 published prices', timeoutMs: 90_000, intervalMs: 1000 },
    );
    for (let i = 0; i < expected.length; i++) {
      const row = expected[i];
      const got = published[i];
      expect([row.validFrom, got.validFrom, new Decimal(got.price).equals(row.price), got.basis, got.firm]).toEqual([
        row.validFrom,
        row.validFrom,
        true,
        'day-ahead',
        true,
      ]);
      expect(Date.parse(got.validTo) - Date.parse(got.validFrom)).toBe(1_800_000);
      expect([row.validFrom, got.level]).toEqual([row.validFrom, { Low: 1, Normal: 3, High: 5 }[row.band]]);
    }

    // The same prices went to Kafka, once each, as the contract's price, each keyed by its region, tariff and interval.
    const kafka = new Kafka({ brokers: testServices().kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `lcl-reader-${Date.now()}` });
    const onTopic = new Map<number, string>();
    const keys = new Set<string>();
    let records = 0;
    await consumer.connect();
    await consumer.subscribe({ topic: `${prefix}tariffs`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const value = JSON.parse(message.value!.toString()) as {
          regionId: string;
          tariff: string;
          intervalStart: string;
          validFrom: string;
          price: string;
        };
        onTopic.set(Date.parse(value.validFrom), value.price);
        keys.add(message.key!.toString());
        expect(message.key!.toString()).toBe(`${value.regionId}/${value.tariff}/${value.intervalStart}`);
        records += 1;
      },
    });
    try {
      await expectEventually(() => (records >= expected.length ? true : undefined), {
        what: 'every price on the tariffs topic',
        timeoutMs: 60_000,
      });
    } finally {
      await consumer.disconnect();
    }
    expect(records).toBe(expected.length);
    expect(keys.size).toBe(expected.length); // compaction keeps every interval, not one price per region
    for (const row of expected)
      expect([row.validFrom, new Decimal(onTopic.get(Date.parse(row.validFrom)) ?? 'NaN').equals(row.price)]).toEqual([
        row.validFrom,
        true,
      ]);
  }, 240_000);
});
