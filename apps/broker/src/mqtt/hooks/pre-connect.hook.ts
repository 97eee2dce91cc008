import { Inject, Injectable } from '@nestjs/common';
import type { Aedes } from 'aedes';
import type { WattlineConfig } from '@wattline/config';
import { CONFIG } from '@wattline/platform';
import { AEDES, type BrokerClient } from '../broker-client';
import { CONNACK } from '../mqtt-authenticator';

/**
 * aedes' `preConnect`: refusals that need no credential check. They are only noted here and
 * answered in `authenticate`, the one hook that can send a CONNACK return code.
 */
@Injectable()
export class PreConnectHook {
  constructor(@Inject(AEDES) aedes: Aedes, @Inject(CONFIG) config: WattlineConfig) {
    aedes.preConnect = (client, packet, done) => {
      const c = client as BrokerClient;
      // [MQTT-3.1.3-8] a zero-length client id needs a clean session; aedes would invent an id.
      if (packet.clientId === '' && packet.clean === false) c.refusal = { returnCode: CONNACK.identifierRejected, reason: 'empty client id without clean session' };
      else if (aedes.connectedClients >= config.MQTT_MAX_CONNECTIONS) c.refusal = { returnCode: CONNACK.serverUnavailable, reason: 'connection limit reached' };
      done(null, true);
    };
  }
}
