import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AggregatorModule } from '../../aggregator/src/aggregator.module';
import { ApiModule } from '../../api/src/api.module';
import { BrokerModule } from '../../broker/src/broker.module';
import { PlatformModule, listenHttp, runApp } from '@wattline/platform';

/**
 * The all-in-one composition root: broker, aggregator and API in one process on the
 * embedded defaults (or on whatever external services are configured).
 */
export async function startPlatform() {
  const started = await runApp('wattline', { migrate: true }, async (infra) => {
    @Module({ imports: [PlatformModule.forRoot(infra), BrokerModule, AggregatorModule, ApiModule] })
    class WattlineModule {}
    const app: INestApplication = await NestFactory.create(WattlineModule, { forceCloseConnections: true, bodyParser: false });
    await listenHttp(app, infra.config);
    return app;
  });
  const { config } = started.infra;
  const host = config.HTTP_HOST === '0.0.0.0' ? 'localhost' : config.HTTP_HOST;
  process.stdout.write(
    [
      `Wattline is up.`,
      `  REST API     http://${host}:${config.HTTP_PORT}/v1   (health: /health, metrics: /metrics)`,
      `  MQTT         mqtt://${host}:${config.MQTT_PORT}   ws://${host}:${config.MQTT_WS_PORT}/mqtt`,
      `  dashboard    http://${host}:${config.HTTP_PORT}/dashboard`,
      `  stream       ${started.infra.stream.kind}   database ${config.DATABASE_URL ? 'external' : `embedded under ${config.DATA_DIR}`}`,
      '',
    ].join('\n'),
  );
  return started;
}
