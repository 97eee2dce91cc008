import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PlatformModule, exitOnFailure, listenHttp, runApp } from '@wattline/platform';
import { AggregatorModule } from './aggregator.module';

/** The aggregator alone; replicas form one Kafka consumer group. */
exitOnFailure(
  runApp('aggregator', { migrate: false }, async (infra) => {
    @Module({ imports: [PlatformModule.forRoot(infra), AggregatorModule] })
    class AggregatorAppModule {}
    // /health and /metrics on HTTP_PORT, so each instance of a scaled-out deployment can be probed.
    const app = await NestFactory.create(AggregatorAppModule, { forceCloseConnections: true });
    await listenHttp(app, infra.config);
    return app;
  }),
);
