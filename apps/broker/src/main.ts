import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PlatformModule, exitOnFailure, runApp } from '@wattline/platform';
import { BrokerModule } from './broker.module';

/** The broker alone, for a scaled-out deployment (several behind a TCP load balancer). */
exitOnFailure(
  runApp('broker', { migrate: false }, async (infra) => {
    @Module({ imports: [PlatformModule.forRoot(infra), BrokerModule] })
    class BrokerAppModule {}
    const app = await NestFactory.createApplicationContext(BrokerAppModule, { bufferLogs: false });
    await app.init();
    return app;
  }),
);
