import { testServices } from '@wattline/testing';
import { InProcessStream } from './in-process.stream';
import { KafkaStream } from './kafka.stream';
import { streamContract } from './stream.contract';

streamContract('in-process', async () => new InProcessStream({ retryDelayMs: 50 }));

streamContract('Kafka', async () => {
  const prefix = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
  return new KafkaStream({ brokers: testServices().kafkaBrokers.split(','), topicPrefix: prefix, clientId: 'stream-contract', partitions: 3 });
});
