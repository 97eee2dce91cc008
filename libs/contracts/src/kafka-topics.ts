/** Kafka topic names of the contract; every name takes `KAFKA_TOPIC_PREFIX`. */
export const KAFKA_TOPICS = {
  readings: 'meter.readings',
  readingsDeadLetter: 'meter.readings.dlq',
  status: 'meter.status',
  statusDeadLetter: 'meter.status.dlq',
  tariffs: 'tariffs',
  tariffsDeadLetter: 'tariffs.dlq',
  announcements: 'price.announcements',
  announcementsDeadLetter: 'price.announcements.dlq',
} as const;

export type StreamTopic = keyof typeof KAFKA_TOPICS;

export function kafkaTopicName(topic: StreamTopic, prefix: string): string {
  return `${prefix}${KAFKA_TOPICS[topic]}`;
}

/** Consumer groups are `<app>.<purpose>`. */
export const CONSUMER_GROUPS = {
  aggregatorReadings: 'aggregator.readings',
  aggregatorStatus: 'aggregator.status',
  aggregatorDeadLetters: 'aggregator.dead-letters',
  brokerAnnouncements: 'broker.announcements',
  brokerErrors: 'broker.errors',
} as const;
