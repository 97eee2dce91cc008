import type { Aedes } from 'aedes';
import { dropPublishes } from './publish-filter';

/**
 * aedes announces every SUBSCRIBE, UNSUBSCRIBE and disconnect on `$SYS/{brokerId}/…`
 * (lib/handlers/subscribe.js, unsubscribe.js; aedes.js unregisterClient) for `$SYS`
 * subscribers. No client may subscribe to `$SYS` here (the ACL refuses it whatever the
 * filter), and aedes itself listens only to `heartbeat`, `birth` and `new/clients`
 * (aedes.js, the session take-over between instances). With shared state each of these
 * announcements is a Redis PUBLISH that every instance decodes, per SUBSCRIBE and per
 * disconnect: in a retained storm, one per display. They are dropped before they are routed;
 * the three aedes needs still go out.
 */
const UNREAD = /^\$SYS\/[^/]+\/(new\/subscribes|new\/unsubscribes|disconnect\/clients)$/;

export function dropUnreadSysAnnouncements(aedes: Aedes): Aedes {
  return dropPublishes(aedes, (packet) => typeof packet.topic === 'string' && UNREAD.test(packet.topic));
}
