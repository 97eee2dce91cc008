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
      if (principal && canSubscribe(principal, subscription.topic)) return done(null, subscription);
      metrics.mqttRefusals.inc({ operation: 'subscribe', reason: 'acl' });
      this.logger.warn(`SUBSCRIBE refused for client ${client.id} on ${subscription.topic}`);
      done(null, null); // SUBACK 0x80 [MQTT-3.9.3-2]
    };
    aedes.authorizeForward = (_client, packet) => forwardWithSpecRetain(packet);
  }
}
