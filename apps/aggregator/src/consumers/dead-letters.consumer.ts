import { Injectable, Logger, Inject, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CONSUMER_GROUPS, DEAD_LETTER_TOPIC, type DeadLetterRecord, type DeadLetterTopic } from '@wattline/contracts';
import { DeadLettersRepository, isTransientDatabaseError, type DeadLetterStream } from '@wattline/persistence';
import { STREAM, type StreamPort, type StreamSubscription } from '@wattline/stream';

/** Each dead-letter topic, by the stream its letters came off. */
const ARCHIVED: [DeadLetterStream, DeadLetterTopic][] = (['readings', 'status', 'tariffs', 'announcements'] as const).map((stream) => [
  stream,
  DEAD_LETTER_TOPIC[stream],
]);

/**
 * The consumer loops of the dead-letter topics: every letter, in either stream mode, is kept in
 * PostgreSQL (dead_letters) for `GET /v1/dead-letters` and a replay. The archive's groups are its
 * own, beside the brokers' (`broker.errors`, which answer meters on their errors topic).
 */
@Injectable()
export class DeadLettersConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DeadLettersConsumer.name);
  private readonly subscriptions: StreamSubscription[] = [];

  constructor(
    @Inject(STREAM) private readonly stream: StreamPort,
    private readonly letters: DeadLettersRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const [stream, topic] of ARCHIVED)
      this.subscriptions.push(
        await this.stream.consume(
          topic,
          // A group per topic: kafkajs members of one group subscribed to different topics rebalance without end.
          `${CONSUMER_GROUPS.aggregatorDeadLetters}.${stream}`,
          (batch: DeadLetterRecord[]) => this.letters.archive(stream, batch),
          { fromBeginning: true, isTransient: isTransientDatabaseError },
        ),
      );
    this.logger.log(`archiving dead letters as groups ${CONSUMER_GROUPS.aggregatorDeadLetters}.{${ARCHIVED.map(([s]) => s).join(',')}}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.subscriptions.map((s) => s.stop()));
  }
}
