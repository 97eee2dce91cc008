import { testServices } from '@wattline/testing';
import { InProcessStream } from './in-process.stream';
import { KafkaStream } from './kafka.stream';
import { streamContract } from './stream.contract';

streamContract('in-process', async (observer) => new InProcessStream({ retryDelayMs: 50, observer }));

streamContract('Kafka', async (observer) => {
  const prefix = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
  return new KafkaStream({
    brokers: testServices().kafkaBrokers.split(','),
    topicPrefix: prefix,
    clientId: 'stream-contract',
    partitions: 3,
    observer,
    retryBaseMs: 50,
  });
});
