import type { WattlineConfig } from '@wattline/config';
import { InProcessStream } from './in-process.stream';
import { KafkaStream } from './kafka.stream';
import type { StreamObserver, StreamPort } from './stream.port';

/** Kafka when KAFKA_BROKERS is set, the in-process stream otherwise (as aedes picks `opts.mq || mqemitter()`). */
export function createStream(
  config: Pick<WattlineConfig, 'KAFKA_BROKERS' | 'KAFKA_TOPIC_PREFIX'> &
    Partial<Pick<WattlineConfig, 'KAFKA_PARTITIONS' | 'KAFKA_REPLICATION_FACTOR' | 'KAFKA_MIN_INSYNC_REPLICAS'>>,
  clientId: string,
  log?: (level: 'error' | 'warn' | 'info', message: string) => void,
  observer?: StreamObserver,
): StreamPort {
  if (config.KAFKA_BROKERS && config.KAFKA_BROKERS.length > 0) {
    return new KafkaStream({
      brokers: config.KAFKA_BROKERS,
      topicPrefix: config.KAFKA_TOPIC_PREFIX,
      clientId,
      log,
      observer,
      partitions: config.KAFKA_PARTITIONS,
      replicationFactor: config.KAFKA_REPLICATION_FACTOR,
      minInsyncReplicas: config.KAFKA_MIN_INSYNC_REPLICAS,
    });
  }
  return new InProcessStream({ observer });
}
