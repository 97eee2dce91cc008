import { Module } from '@nestjs/common';
import { ErrorFanoutService } from './errors/error-fanout.service';
import { ReadingIngestService } from './ingest/reading-ingest.service';
import { AuthenticateHook } from './mqtt/hooks/authenticate.hook';
import { AuthorizeForwardHook } from './mqtt/hooks/authorize-forward.hook';
import { AuthorizePublishHook } from './mqtt/hooks/authorize-publish.hook';
import { AuthorizeSubscribeHook } from './mqtt/hooks/authorize-subscribe.hook';
import { PreConnectHook } from './mqtt/hooks/pre-connect.hook';
import { PresenceHook } from './mqtt/hooks/presence.hook';
import { CredentialChangeHook } from './mqtt/hooks/credential-change.hook';
import { RevocationHook } from './mqtt/hooks/revocation.hook';
import { ControlLogWatcher } from './mqtt/control-log.watcher';
import { MqttAuthenticator } from './mqtt/mqtt-authenticator';
import { MqttBrokerService, aedesProvider } from './mqtt/mqtt-broker.service';
import { OpenAdrNotifier } from './prices/openadr-notifier.service';
import { PriceFanoutService } from './prices/price-fanout.service';
import { RetainedRestore } from './prices/retained-restore.service';
import { BrokerState } from './state/broker-state';

/** The MQTT broker: device authentication, ACL, ingest into the stream, retained prices. */
@Module({
  providers: [
    BrokerState,
    aedesProvider,
    MqttAuthenticator,
    ReadingIngestService,
    PreConnectHook,
    AuthenticateHook,
    AuthorizePublishHook,
    AuthorizeSubscribeHook,
    AuthorizeForwardHook,
    PresenceHook,
    RevocationHook,
    CredentialChangeHook,
    ControlLogWatcher,
    OpenAdrNotifier,
    PriceFanoutService,
    RetainedRestore,
    ErrorFanoutService,
    MqttBrokerService,
  ],
})
export class BrokerModule {}
