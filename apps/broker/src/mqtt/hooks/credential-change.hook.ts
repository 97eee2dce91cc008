import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { CONTROL_BUS, type ControlBus, type ControlEvent } from '@wattline/platform';
import { MqttAuthenticator } from '../mqtt-authenticator';

/**
 * A credential whose reach changed (a household moved tariff, from the control bus): forget the
 * cached principal, so the next CONNECT reads what it may subscribe to again. Connections stay up.
 */
@Injectable()
export class CredentialChangeHook implements OnApplicationShutdown {
  private readonly unsubscribe: () => void;

  constructor(
    @Inject(CONTROL_BUS) control: ControlBus,
    private readonly authenticator: MqttAuthenticator,
  ) {
    this.unsubscribe = control.subscribe((event) => void this.onControl(event));
  }

  onApplicationShutdown(): void {
    this.unsubscribe();
  }

  private async onControl(event: ControlEvent): Promise<void> {
    if (event.type === 'credential-changed') await this.authenticator.forget(event.username).catch(() => undefined);
  }
}
