import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Aedes } from 'aedes';
import { CONTROL_BUS, type ControlBus, type ControlEvent } from '@wattline/platform';
import { AEDES, connectionsOf } from '../broker-client';
import { MqttAuthenticator } from '../mqtt-authenticator';

/**
 * A credential whose reach changed (a household moved tariff, from the control bus): forget the
 * cached principal, and read it again for the connections this instance holds, which stay up —
 * the new tariff's topics can be subscribed to at once, and the old one's stop at the switch.
 */
@Injectable()
export class CredentialChangeHook implements OnApplicationShutdown {
  private readonly logger = new Logger('MqttCredentialChange');
  private readonly unsubscribe: () => void;

  constructor(
    @Inject(AEDES) private readonly aedes: Aedes,
    @Inject(CONTROL_BUS) control: ControlBus,
    private readonly authenticator: MqttAuthenticator,
  ) {
    this.unsubscribe = control.subscribe((event) => void this.onControl(event));
  }

  onApplicationShutdown(): void {
    this.unsubscribe();
  }

  private async onControl(event: ControlEvent): Promise<void> {
    if (event.type !== 'credential-changed') return;
    await this.authenticator.forget(event.username).catch(() => undefined);
    const live = connectionsOf(this.aedes, event.username);
    if (live.length === 0) return;
    try {
      const principal = await this.authenticator.principalOf(event.username);
      for (const client of live) {
        if (principal) client.principal = principal;
        else client.close(); // revoked meanwhile: the revocation event closes it too
      }
    } catch (error) {
      // The catalog did not answer: these connections keep the reach they had, and say so.
      this.logger.warn(`credential ${event.username} changed but could not be read again: ${(error as Error).message}`);
    }
  }
}
