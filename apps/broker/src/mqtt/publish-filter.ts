import type { Aedes, PublishPacket } from 'aedes';

/**
 * Wraps `aedes.publish`, the step after a PUBLISH is acknowledged (lib/handlers/publish.js) and
 * the one the broker's own announcements go through: a packet `drop` picks is completed (its
 * callback called) without being routed.
 */
export function dropPublishes(aedes: Aedes, drop: (packet: PublishPacket) => boolean): Aedes {
  const publish = aedes.publish.bind(aedes);
  aedes.publish = ((packet: PublishPacket, ...rest: unknown[]) => {
    if (drop(packet)) {
      const done = rest.find((arg) => typeof arg === 'function') as ((error?: Error) => void) | undefined;
      done?.();
      return;
    }
    return (publish as (...args: unknown[]) => unknown)(packet, ...rest);
  }) as Aedes['publish'];
  return aedes;
}
