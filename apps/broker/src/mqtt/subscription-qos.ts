import type { Client, PublishPacket } from 'aedes';
import { topicMatches } from '@wattline/contracts';

type Deliver = (packet: PublishPacket, cb: () => void) => void;
type DeliveringClient = Client & { deliver0: Deliver; deliverQoS: Deliver; subscriptions: Record<string, { qos: number }> };

/**
 * [MQTT-3.3.5-1] A message matching several of a client's subscriptions is delivered at the
 * highest QoS they grant; [MQTT-3.8.4-6] never above what the matching subscriptions grant.
 * aedes 1.2 calls each matching subscription's deliver function and keeps the first one
 * (lib/client.js `dedupe`), so a QoS 0 wildcard that fires first wins over a QoS 2 filter; and
 * it downgrades by the subscription of the exact topic name only (lib/client.js `deliverQoS`:
 * `that.subscriptions[packet.topic]`), so a QoS 1 wildcard receives QoS 2 messages. These
 * wrappers decide by every matching filter. aedes binds the functions at SUBSCRIBE
 * (lib/handlers/subscribe.js `addSubs`), so installing them before CONNECT completes covers
 * every subscription, live and retained.
 */
export function deliverAtGrantedQoS(aedesClient: Client): void {
  const client = aedesClient as DeliveringClient;
  const { deliver0, deliverQoS } = client;
  const granted = (topic: string) => {
    let max = -1;
    for (const [filter, subscription] of Object.entries(client.subscriptions))
      if (subscription.qos > max && topicMatches(filter, topic)) max = subscription.qos;
    return max;
  };
  client.deliver0 = (packet, cb) => {
    // A QoS 0 subscription stands aside when a matching one grants more and the message has more.
    if (packet.qos > 0 && granted(packet.topic) > 0) return cb();
    deliver0(packet, cb);
  };
  client.deliverQoS = (packet, cb) => {
    const qos = Math.min(packet.qos, Math.max(0, granted(packet.topic)));
    if (qos === packet.qos) return deliverQoS(packet, cb);
    const downgraded = Object.assign(Object.create(Object.getPrototypeOf(packet)), packet, { qos }) as PublishPacket;
    if (qos === 0) return deliver0(downgraded, cb);
    deliverQoS(downgraded, cb);
  };
}
