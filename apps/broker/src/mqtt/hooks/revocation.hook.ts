import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Aedes } from 'aedes';
import { CONTROL_BUS, type ControlBus, type ControlEvent } from '@wattline/platform';
import { AEDES, connectionsOf } from '../broker-client';
import { MqttAuthenticator } from '../mqtt-authenticator';

/** A revoked credential (from the control bus): forget it and cut off its connections on this instance. */
@Injectable()
export class RevocationHook implements OnApplicationShutdown {
  private readonly logger = new Logger('MqttRevocation');
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
    if (event.type !== 'credential-revoked') return;
    await this.authenticator.forget(event.username).catch(() => undefined);
    for (const client of connectionsOf(this.aedes, event.username)) {
      this.logger.warn(`closing ${client.id}: credential ${event.username} revoked`);
      client.close();
    }
  }
}
