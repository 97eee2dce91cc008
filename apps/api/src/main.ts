import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PlatformModule, exitOnFailure, runApp } from '@wattline/platform';
import { ApiModule } from './api.module';

/** The REST API alone; stateless, so any number behind an HTTP load balancer. */
exitOnFailure(
  runApp('api', { migrate: false }, async (infra) => {
    @Module({ imports: [PlatformModule.forRoot(infra), ApiModule] })
    class ApiAppModule {}
    const app = await NestFactory.create(ApiAppModule, { forceCloseConnections: true });
    await app.listen(infra.config.HTTP_PORT, infra.config.HTTP_HOST);
    return app;
  }),
);
