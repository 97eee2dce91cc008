import { Transform } from 'node:stream';

/**
 * [MQTT-3.3.1-9]: a message sent to a client because it matches an established subscription
 * carries RETAIN 0, however it was published; only the replay of retained messages on
 * SUBSCRIBE carries RETAIN 1 [MQTT-3.3.1-8]. aedes 1.x forwards the publisher's flag
 * unchanged, live and from a persistent session's queue. These helpers clear it on both paths.
 */
type PacketLike = { retain?: boolean; brokerId?: string | null };

export function withoutRetain<T extends PacketLike>(packet: T): T {
  return Object.assign(Object.create(Object.getPrototypeOf(packet)), packet, { retain: false });
}

/**
 * aedes' `authorizeForward`: retained replays are built with `brokerId = null`
 * (lib/handlers/subscribe.js); everything else is a live delivery.
 */
export function forwardWithSpecRetain<T extends PacketLike>(packet: T): T {
  return packet.retain && packet.brokerId ? withoutRetain(packet) : packet;
}

/**
 * [MQTT-3.3.1-1] A PUBLISH sent again carries DUP 1. When a persistent session resumes, aedes
 * replays the session's stored packets (lib/handlers/connect.js `emptyQueue`) as they were
 * stored: one that has a packet identifier was in flight (aedes-persistence assigns it in
 * `outgoingUpdate` when it is sent; queued packets have none) and is a redelivery.
 */
export function markRedeliveries<T extends object>(persistence: T): T {
  const target = persistence as Record<string, (...args: unknown[]) => unknown>;
  const original = target.outgoingStream.bind(persistence);
  target.outgoingStream = (...args: unknown[]) => {
    const source = original(...args) as NodeJS.ReadableStream;
    const marked = new Transform({
      objectMode: true,
      transform(packet: { messageId?: number; dup?: boolean }, _encoding, callback) {
        callback(null, packet.messageId ? { ...packet, dup: true } : packet);
      },
    });
    source.on('error', (error: Error) => marked.destroy(error));
    return source.pipe(marked);
  };
  return persistence;
}

/** Queues messages for offline persistent sessions with RETAIN 0. */
export function clearRetainOnQueue<T extends object>(persistence: T): T {
  const target = persistence as Record<string, (...args: unknown[]) => unknown>;
  for (const method of ['outgoingEnqueueCombi', 'outgoingEnqueue']) {
    const original = target[method].bind(persistence);
    target[method] = (subs: unknown, packet: unknown, ...rest: unknown[]) =>
      original(subs, packet && (packet as PacketLike).retain ? withoutRetain(packet as PacketLike) : packet, ...rest);
  }
  return persistence;
}
