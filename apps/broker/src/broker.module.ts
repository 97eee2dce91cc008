import { Module } from '@nestjs/common';
import { ReadingIngestService } from './ingest/reading-ingest.service';
import { DeviceAuthenticator } from './mqtt/device-authenticator';
import { MqttBrokerService } from './mqtt/mqtt-broker.service';

/** The MQTT broker: device authentication, ACL, ingest into the stream, retained prices. */
@Module({
  providers: [DeviceAuthenticator, ReadingIngestService, MqttBrokerService],
  exports: [MqttBrokerService, DeviceAuthenticator],
})
export class BrokerModule {}
