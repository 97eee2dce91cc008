import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Aedes } from 'aedes';
import { canSubscribe } from '@wattline/contracts';
import { CLOCK, Metrics, type Clock } from '@wattline/platform';
import { AEDES, type BrokerClient } from '../broker-client';

/** aedes' `authorizeSubscribe`: the ACL, at the moment of the SUBSCRIBE (a household's tariff is the one it is on now or later). */
@Injectable()
export class AuthorizeSubscribeHook {
  private readonly logger = new Logger('MqttAuthorizeSubscribe');

  constructor(@Inject(AEDES) aedes: Aedes, metrics: Metrics, @Inject(CLOCK) clock: Clock) {
    aedes.authorizeSubscribe = (client, subscription, done) => {
      const principal = (client as BrokerClient).principal;
      // `$` topics (aedes' $SYS lists every client id) are nobody's, whatever the credential's filters.
      if (principal && !subscription.topic.startsWith('$') && canSubscribe(principal, subscription.topic, clock.now()))
        return done(null, subscription);
      metrics.mqttRefusals.inc({ operation: 'subscribe', reason: 'acl' });
      this.logger.warn(`SUBSCRIBE refused for client ${client.id} on ${subscription.topic}`);
      done(null, null); // SUBACK 0x80 [MQTT-3.9.3-2]
    };
  }
}
