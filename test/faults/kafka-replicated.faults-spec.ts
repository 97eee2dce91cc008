import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaTopicName } from '@wattline/contracts';
import {
  MeterFleet,
  REPO_ROOT,
  createTestDatabase,
  expectEventually,
  regionTotals,
  restClient,
  startPlatformProcess,
  type PlatformProcess,
} from '@wattline/testing';

/**
 * Readings through a replicated Kafka: a KRaft cluster of three nodes (scripts/kafka/kafka.cjs),
 * Wattline's topics created with replication factor 3 and min.insync.replicas 2. Real LCL
 * households publish QoS 1 readings while the node leading a partition of `meter.readings` is
 * SIGKILLed: acknowledgements go on through the new leader, and the run ends exact — sent =
 * acknowledged = stored once. The quick case of the fault suite's Kafka leader change.
 */
const METERS = 60;
const PREFIX = 'replicated.';
const DECEMBER = 'from=2013-12-01T00:00:00Z&to=2014-01-01T00:00:00Z';
type Node = { nodeId: number; alive: boolean; kill(): Promise<void>; restart(): Promise<void> };

describe('readings through a three-node Kafka while a partition leader is killed', () => {
  let cluster: { brokers: string[]; nodes: Node[]; node(id: number): Node; stop(): Promise<void> };
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let platform: PlatformProcess;
  let fleet: MeterFleet;
  let kafka: Kafka;

  const readingsTopic = kafkaTopicName('readings', PREFIX);
  const partitions = async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [topic] = (await admin.fetchTopicMetadata({ topics: [readingsTopic] })).topics;
      return topic.partitions.map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: p.replicas.length, isr: p.isr.length }));
    } finally {
      await admin.disconnect();
    }
  };
  const progress = async (what: string, more: number) => {
    const from = fleet.totals.acked;
    await expectEventually(() => (fleet.totals.acked >= from + more ? true : undefined), { what, timeoutMs: 60_000 });
  };

  beforeAll(async () => {
    const { startKafkaCluster } = require(path.join(REPO_ROOT, 'scripts', 'kafka', 'kafka.cjs'));
    cluster = await startKafkaCluster({ dir: path.join(REPO_ROOT, '.data', `kafka-replicated-${process.pid}`), log: () => undefined });
    kafka = new Kafka({ clientId: 'replicated-spec', brokers: cluster.brokers, logLevel: logLevel.NOTHING });
    db = await createTestDatabase({ empty: true });
    platform = await startPlatformProcess({
      DATABASE_URL: db.url,
      KAFKA_BROKERS: cluster.brokers.join(','),
      KAFKA_TOPIC_PREFIX: PREFIX,
      KAFKA_REPLICATION_FACTOR: '3',
      KAFKA_MIN_INSYNC_REPLICAS: '2',
      MQTT_MAX_PUBLISH_RATE: '10000',
    });
    const api = restClient(platform.httpUrl, platform.adminKey);
    await api.post('/v1/regions', { id: 'london', name: 'London' });
    const households = ['MAC000002', 'MAC000003', 'MAC000004', 'MAC000005', 'MAC000006', 'MAC000007'];
    const meters: { id: string; password: string; household: string }[] = [];
    for (let i = 0; i < METERS; i++) {
      const { body } = await api.post('/v1/meters', { id: `r${String(i).padStart(3, '0')}`, regionId: 'london' });
      meters.push({ id: body.id, password: body.mqtt.password, household: households[i % households.length] });
    }
    fleet = await MeterFleet.connect(() => platform.mqttUrl, meters);
  }, 240_000);

  afterAll(async () => {
    await fleet?.close();
    await platform?.stop();
    await cluster?.stop();
    await db?.drop();
  });

  it('creates the topics with three replicas each, all in sync', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const configs = await admin.describeConfigs({
        resources: [{ type: 2, name: readingsTopic, configNames: ['min.insync.replicas'] }],
        includeSynonyms: false,
      });
      expect(configs.resources[0].configEntries.map((e) => [e.configName, e.configValue])).toEqual([['min.insync.replicas', '2']]);
    } finally {
      await admin.disconnect();
    }
    const all = await partitions();
    expect(all.length).toBeGreaterThanOrEqual(3);
    expect(all.map((p) => [p.replicas, p.isr])).toEqual(all.map(() => [3, 3]));
  });

  it('acknowledges on through the new leader when the leader of a readings partition is SIGKILLed, and ends exact', async () => {
    fleet.start(20);
    await progress('load through three nodes', 2 * METERS);
    const [first] = await partitions();
    const leader = cluster.node(first.leader);
    await leader.kill();
    const killedAt = fleet.totals.acked;
    await progress('acknowledgements after the leader was killed', 3 * METERS);
    const after = await expectEventually(async () => {
      const now = await partitions();
      return now.every((p) => p.leader !== first.leader && p.leader >= 0) ? now : undefined;
    });
    expect(after.find((p) => p.partition === first.partition)!.isr).toBe(2);
    // The platform lived through it: never restarted, and healthy again once every consumer has its group (a member whose
    // commit the moving coordinator refused is rebuilt, and /health says so meanwhile).
    expect([platform.child.exitCode, platform.child.signalCode]).toEqual([null, null]);
    await expectEventually(async () => ((await fetch(`${platform.httpUrl}/health`)).status === 200 ? true : undefined), {
      what: 'the platform healthy after the leader change',
      timeoutMs: 30_000,
    });
    // The node comes back on its storage and catches up: every partition in sync again.
    await leader.restart();
    await expectEventually(async () => ((await partitions()).every((p) => p.isr === 3) ? true : undefined), {
      what: 'the restarted node back in sync',
      timeoutMs: 60_000,
    });
    await progress('load with all three again', METERS);
    await fleet.settle();
    const { sent, acked } = fleet.totals;
    expect(acked).toBe(sent);
    expect(acked).toBeGreaterThan(killedAt);
    const api = restClient(platform.httpUrl, platform.adminKey);
    let stored = 0;
    const totals = await expectEventually(
      async () => {
        const t = await regionTotals(api, 'london', DECEMBER);
        stored = t.readings;
        return t.readings >= sent ? t : undefined;
      },
      { what: `${sent} readings stored`, timeoutMs: 60_000 },
    ).catch(async (error: Error) => {
      // What the platform said while the readings were not stored: the finding, not a retry. All of it, in a file.
      const file = path.join(REPO_ROOT, '.data', `kafka-replicated-${process.pid}.log`);
      writeFileSync(file, platform.output());
      // Where the rest are: the readings group's lag per partition (Kafka's own offsets), and what was dead-lettered.
      const metrics = await (await fetch(`${platform.httpUrl}/metrics`)).text();
      const lag = metrics.split('\n').filter((line) => line.startsWith('wattline_stream_consumer_lag') && line.includes('readings'));
      const letters = await api.get('/v1/dead-letters?limit=50');
      // Are the missing ones in Kafka at all? Every record of the topic, read from the start by a group of its own.
      const inKafka = new Set<string>();
      const admin = kafka.admin();
      await admin.connect();
      const ends = await admin.fetchTopicOffsets(readingsTopic);
      await admin.disconnect();
      const reader = kafka.consumer({ groupId: `replicated-check-${process.pid}` });
      await reader.connect();
      await reader.subscribe({ topic: readingsTopic, fromBeginning: true });
      const left = new Map(ends.map((e) => [e.partition, Number(e.high)]));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 30_000);
        void reader.run({
          eachMessage: async ({ partition, message }) => {
            const value = JSON.parse(message.value!.toString()) as { meterId: string; ts: number | string };
            inKafka.add(`${value.meterId} ${new Date(value.ts).getTime()}`);
            if (Number(message.offset) + 1 >= (left.get(partition) ?? 0)) left.delete(partition);
            if (left.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
      await reader.disconnect();
      const missing: string[] = [];
      for (const [meterId, starts] of fleet.sent)
        for (const start of starts)
          if (!inKafka.has(`${meterId} ${start + 1_800_000}`)) missing.push(`${meterId} ${new Date(start).toISOString()}`);
      process.stderr.write(
        `kafka-replicated: ${inKafka.size} distinct readings in Kafka; sent but not in Kafka: ${missing.length} ${missing.slice(0, 20).join(', ')}\n`,
      );
      process.stderr.write(
        `kafka-replicated: consumer lag\n${lag.join('\n')}\ndead letters: ${JSON.stringify((letters.body.data ?? letters.body).map?.((l: { error: string; topic: string }) => `${l.topic} ${l.error}`) ?? letters.body)}\n`,
      );
      process.stderr.write(
        `kafka-replicated: ${stored} of ${sent} stored; the platform's whole output is in ${file}; its last lines:\n${platform.output().slice(-6000)}\n`,
      );
      throw error;
    });
    expect(totals.readings).toBe(sent);
    expect(totals.demandWh).toBeCloseTo(fleet.sentWh(), 2);
    const rebuilt = platform.output().match(/consumer \S+ on \S+ is rebuilt in [^\n]*/g) ?? [];
    const replaced = platform.output().match(/the producer was replaced/g)?.length ?? 0;
    process.stderr.write(
      `kafka-replicated: node ${first.leader} (leader of partition ${first.partition}) SIGKILLed after ${killedAt} acknowledgements; ${sent} sent = ${acked} acknowledged = ${totals.readings} stored once; producer replaced ${replaced} time(s); ${rebuilt.length} consumer rebuild(s)${rebuilt.length ? `: ${rebuilt.join('; ')}` : ''}\n`,
    );
  }, 240_000);
});
