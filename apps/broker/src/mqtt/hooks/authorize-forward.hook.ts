import { Inject, Injectable } from '@nestjs/common';
import type { Aedes } from 'aedes';
import { mayReceive } from '@wattline/contracts';
import { CLOCK, type Clock } from '@wattline/platform';
import { forwardWithSpecRetain } from '../../state/retain-flag';
import { AEDES, type BrokerClient } from '../broker-client';

/**
 * aedes' `authorizeForward`, called for each message on its way to each client (live, queued
 * or retained: aedes lib/client.js deliver0/deliverQoS). Returning null drops it for that client.
 */
@Injectable()
export class AuthorizeForwardHook {
  constructor(@Inject(AEDES) aedes: Aedes, @Inject(CLOCK) clock: Clock) {
    aedes.authorizeForward = (client, packet) => {
      // [MQTT-4.7.2-1] a filter starting with a wildcard must not match `$` topics; aedes' matcher
      // lets `#` reach $SYS, so nothing under `$` is delivered to any client.
      if (packet.topic.startsWith('$')) return null;
      // A household whose tariff switched since it subscribed no longer gets the old tariff's prices.
      const principal = (client as BrokerClient | null)?.principal;
      if (principal && !mayReceive(principal, packet.topic, clock.now())) return null;
      return forwardWithSpecRetain(packet);
    };
  }
}
