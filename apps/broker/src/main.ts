import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PlatformModule, exitOnFailure, runApp } from '@wattline/platform';
import { BrokerModule } from './broker.module';

/** The broker alone, for a scaled-out deployment (several behind a TCP load balancer). */
exitOnFailure(
  runApp('broker', { migrate: false }, async (infra) => {
    @Module({ imports: [PlatformModule.forRoot(infra), BrokerModule] })
    class BrokerAppModule {}
    // /health and /metrics on HTTP_PORT, so each instance of a scaled-out deployment can be probed.
    const app = await NestFactory.create(BrokerAppModule, { forceCloseConnections: true });
    await app.listen(infra.config.HTTP_PORT, infra.config.HTTP_HOST);
    return app;
  }),
);
