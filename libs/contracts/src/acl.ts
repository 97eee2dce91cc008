import { filterWithin, mqttTopics, topicMatches } from './mqtt-topics';

/** Who is on the other end of an MQTT connection, as established at CONNECT. */
export type Principal =
  | { kind: 'meter'; meterId: string; regionId: string }
  | { kind: 'anonymous-display' };

/**
 * The contract's ACL. A meter publishes only its own readings and status, and subscribes
 * only to its region's prices, its own errors and its household's topics. An anonymous
 * display (ALLOW_ANONYMOUS_DISPLAYS) may only read prices.
 */
export function canPublish(principal: Principal, topic: string): boolean {
  switch (principal.kind) {
    case 'meter':
      return topic === mqttTopics.readings(principal.meterId) || topic === mqttTopics.status(principal.meterId);
    case 'anonymous-display':
      return false;
  }
}

export function subscribableFilters(principal: Principal): string[] {
  switch (principal.kind) {
    case 'meter':
      return [`prices/${principal.regionId}/#`, mqttTopics.errors(principal.meterId), `households/${principal.meterId}/#`];
    case 'anonymous-display':
      return ['prices/#'];
  }
}

export function canSubscribe(principal: Principal, filter: string): boolean {
  return subscribableFilters(principal).some((allowed) => filterWithin(filter, allowed));
}

/** A topic some allowed filter matches (for deliveries a broker-side rewrite might attempt). */
export function canReceive(principal: Principal, topic: string): boolean {
  return subscribableFilters(principal).some((allowed) => topicMatches(allowed, topic));
}
