import type { Aedes, PublishPacket } from 'aedes';

/**
 * "A publish that goes nowhere" (the contract): aedes 1.x has no way for `authorizePublish` to
 * acknowledge a PUBLISH without routing it — an error closes the connection
 * (lib/handlers/publish.js: `runSeries(client, [authorizePublish, enqueuePublish])`). A packet
 * marked here is acknowledged as usual and then not published: readings (they travel through
 * the stream, never over MQTT, and are never retained, whatever RETAIN flag they carry) and
 * refused status payloads.
 */
const UNROUTED = Symbol('wattline.unrouted');

export function markUnrouted(packet: PublishPacket): void {
  (packet as PublishPacket & { [UNROUTED]?: true })[UNROUTED] = true;
}

/** Wraps `aedes.publish`, the step after the acknowledgement, to drop marked packets. */
export function honourUnrouted(aedes: Aedes): Aedes {
  const publish = aedes.publish.bind(aedes);
  aedes.publish = ((packet: PublishPacket & { [UNROUTED]?: true }, ...rest: unknown[]) => {
    if (packet[UNROUTED]) {
      const done = rest.find((arg) => typeof arg === 'function') as ((error?: Error) => void) | undefined;
      done?.();
      return;
    }
    return (publish as (...args: unknown[]) => unknown)(packet, ...rest);
  }) as Aedes['publish'];
  return aedes;
}
