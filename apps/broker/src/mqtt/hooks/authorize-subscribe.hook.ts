import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Aedes } from 'aedes';
import { canSubscribe } from '@wattline/contracts';
import { Metrics } from '@wattline/platform';
import { forwardWithSpecRetain } from '../../state/retain-flag';
import { AEDES, type BrokerClient } from '../broker-client';

/** aedes' `authorizeSubscribe` (the ACL) and `authorizeForward` (the spec's RETAIN flag on delivery). */
@Injectable()
export class AuthorizeSubscribeHook {
  private readonly logger = new Logger('MqttAuthorizeSubscribe');

  constructor(@Inject(AEDES) aedes: Aedes, metrics: Metrics) {
    aedes.authorizeSubscribe = (client, subscription, done) => {
      const principal = (client as BrokerClient).principal;
      // `$` topics (aedes' $SYS lists every client id) are nobody's, whatever the credential's filters.
      if (principal && !subscription.topic.startsWith('$') && canSubscribe(principal, subscription.topic)) return done(null, subscription);
      metrics.mqttRefusals.inc({ operation: 'subscribe', reason: 'acl' });
      this.logger.warn(`SUBSCRIBE refused for client ${client.id} on ${subscription.topic}`);
      done(null, null); // SUBACK 0x80 [MQTT-3.9.3-2]
    };
    // [MQTT-4.7.2-1] a filter starting with a wildcard must not match `$` topics; aedes' matcher
    // lets `#` reach $SYS, so nothing under `$` is delivered to any client.
    aedes.authorizeForward = (_client, packet) => (packet.topic.startsWith('$') ? null : forwardWithSpecRetain(packet));
  }
}
