import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Aedes } from 'aedes';
import type { WattlineConfig } from '@wattline/config';
import { CONFIG } from '@wattline/platform';
import { AEDES, clientCertificate, type BrokerClient } from '../broker-client';
import { CONNACK } from '../mqtt-authenticator';
import { deliverAtGrantedQoS } from '../subscription-qos';

/**
 * aedes' `preConnect`: refusals that need no credential check. They are only noted here and
 * answered in `authenticate`, the one hook that can send a CONNACK return code. It runs before
 * aedes takes the client id from the packet (lib/handlers/connect.js `init`), so it is also
 * where an anonymous display's session is put in a namespace of its own.
 */
@Injectable()
export class PreConnectHook {
  constructor(@Inject(AEDES) aedes: Aedes, @Inject(CONFIG) config: WattlineConfig) {
    aedes.preConnect = (client, packet, done) => {
      const c = client as BrokerClient;
      deliverAtGrantedQoS(client);
      // [MQTT-3.1.3-8] a zero-length client id needs a clean session; aedes would invent an id.
      if (packet.clientId === '' && packet.clean === false)
        c.refusal = { returnCode: CONNACK.identifierRejected, reason: 'empty client id without clean session' };
      else if (aedes.connectedClients >= config.MQTT_MAX_CONNECTIONS)
        c.refusal = { returnCode: CONNACK.serverUnavailable, reason: 'connection limit reached' };
      else if (packet.clientId === '' && packet.username) {
        // [MQTT-3.1.3-6] the server assigns an id to a zero-length one (clean session only, above):
        // inside the credential's own namespace (`username-…`), so it can never be another's.
        packet.clientId = `${packet.username}-${randomUUID()}`;
      } else if (config.ALLOW_ANONYMOUS_DISPLAYS && !packet.username && !packet.password && !clientCertificate(c)) {
        // An anonymous display can never use or disturb another client's session: its id lives
        // under `anonymous/`, which no credential's id can (ids are single topic levels), and it
        // keeps no session (nothing unauthenticated is stored for later).
        if (packet.clean === false)
          c.refusal = { returnCode: CONNACK.identifierRejected, reason: 'anonymous displays connect with a clean session' };
        else packet.clientId = `anonymous/${packet.clientId || randomUUID()}`;
      }
      done(null, true);
    };
  }
}
