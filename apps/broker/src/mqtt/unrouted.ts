import type { Aedes, PublishPacket } from 'aedes';
import { dropPublishes } from './publish-filter';

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

/** Drops marked packets after their acknowledgement. */
export function honourUnrouted(aedes: Aedes): Aedes {
  return dropPublishes(aedes, (packet) => (packet as PublishPacket & { [UNROUTED]?: true })[UNROUTED] === true);
}
