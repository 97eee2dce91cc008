import { Module } from '@nestjs/common';
import { ReadingIngestService } from './ingest/reading-ingest.service';
import { MqttAuthenticator } from './mqtt/mqtt-authenticator';
import { BrokerState } from './state/broker-state';
import { MqttBrokerService } from './mqtt/mqtt-broker.service';

/** The MQTT broker: device authentication, ACL, ingest into the stream, retained prices. */
@Module({
  providers: [BrokerState, MqttAuthenticator, ReadingIngestService, MqttBrokerService],
  exports: [MqttBrokerService],
})
export class BrokerModule {}
