import { Readable } from 'node:stream';

/**
 * aedes-persistence-redis 11.2 (the release aedes 1.2 names as its peer) returns async
 * iterables from the methods below, while aedes 1.2 pipes them as streams
 * (lib/handlers/subscribe.js: `stream.pipe`), as aedes-persistence's in-memory store does with
 * `Readable.from`. This subclass does the same wrapping, so retained messages, queued messages
 * and wills flow from Redis exactly as from memory.
 */
export function createRedisPersistence(options: Record<string, unknown>): unknown {
  interface StreamMethods {
    createRetainedStreamCombi(patterns: string[]): unknown;
    createRetainedStream(pattern: string): unknown;
    outgoingStream(client: unknown): unknown;
    streamWill(brokers: unknown): unknown;
    getClientList(topic: string): unknown;
  }
  const AsyncRedisPersistence: new (
    options: Record<string, unknown>,
  ) => StreamMethods = require('aedes-persistence-redis/asyncPersistence.js');
  const asStream = (value: unknown) =>
    value && typeof (value as Readable).pipe === 'function' ? value : Readable.from(value as AsyncIterable<unknown>);

  class StreamingRedisPersistence extends AsyncRedisPersistence {
    override createRetainedStreamCombi(patterns: string[]) {
      return asStream(super.createRetainedStreamCombi(patterns));
    }
    override createRetainedStream(pattern: string) {
      return asStream(super.createRetainedStream(pattern));
    }
    override outgoingStream(client: unknown) {
      return asStream(super.outgoingStream(client));
    }
    override streamWill(brokers: unknown) {
      return asStream(super.streamWill(brokers));
    }
    override getClientList(topic: string) {
      return asStream(super.getClientList(topic));
    }
  }
  return new StreamingRedisPersistence(options);
}
