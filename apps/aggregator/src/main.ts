import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PlatformModule, exitOnFailure, runApp } from '@wattline/platform';
import { AggregatorModule } from './aggregator.module';

/** The aggregator alone; replicas form one Kafka consumer group. */
exitOnFailure(
  runApp('aggregator', { migrate: false }, async (infra) => {
    @Module({ imports: [PlatformModule.forRoot(infra), AggregatorModule] })
    class AggregatorAppModule {}
    const app = await NestFactory.createApplicationContext(AggregatorAppModule);
    await app.init();
    return app;
  }),
);
