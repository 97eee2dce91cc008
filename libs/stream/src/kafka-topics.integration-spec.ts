import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { kafkaTopicName } from '@wattline/contracts';
import { testServices } from '@wattline/testing';
import { KafkaStream } from './kafka.stream';

/** The topics the adapter creates carry what production needs (3 replicas, 2 in sync), as configured. */
describe('Kafka topics created by the stream', () => {
  it('get the configured partitions and min.insync.replicas, compacted ones their cleanup policy', async () => {
    const prefix = `topics${Date.now().toString(36)}.`;
    const brokers = testServices().kafkaBrokers.split(',');
    const stream = new KafkaStream({
      brokers,
      topicPrefix: prefix,
      clientId: 'topics-test',
      partitions: 4,
      replicationFactor: 1,
      minInsyncReplicas: 2,
    });
    await stream.start();
    await stream.stop();
    const admin = new Kafka({ clientId: 'topics-test-admin', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const readings = kafkaTopicName('readings', prefix);
      const tariffs = kafkaTopicName('tariffs', prefix);
      const metadata = await admin.fetchTopicMetadata({ topics: [readings, tariffs] });
      expect(metadata.topics.find((t) => t.name === readings)!.partitions).toHaveLength(4);
      expect(metadata.topics.find((t) => t.name === tariffs)!.partitions).toHaveLength(3);
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [readings, tariffs].map((name) => ({
          type: ConfigResourceTypes.TOPIC,
          name,
          configNames: ['min.insync.replicas', 'cleanup.policy'],
        })),
      });
      const config = (name: string, key: string) =>
        resources.find((r) => r.resourceName === name)!.configEntries.find((e) => e.configName === key)!.configValue;
      // 2 on one replica would refuse every acks=all produce; here it only shows the setting reaches the topic (the broker's default is 1).
      expect(config(readings, 'min.insync.replicas')).toBe('2');
      expect(config(readings, 'cleanup.policy')).toBe('delete');
      expect(config(tariffs, 'cleanup.policy')).toBe('compact');
    } finally {
      await admin.disconnect();
    }
  });
});
