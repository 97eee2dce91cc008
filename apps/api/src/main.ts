import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PlatformModule, exitOnFailure, listenHttp, runApp } from '@wattline/platform';
import { ApiModule } from './api.module';

/** The REST API alone; stateless, so any number behind an HTTP load balancer. */
exitOnFailure(
  runApp('api', { migrate: false }, async (infra) => {
    @Module({ imports: [PlatformModule.forRoot(infra), ApiModule] })
    class ApiAppModule {}
    const app = await NestFactory.create(ApiAppModule, { forceCloseConnections: true, bodyParser: false });
    await listenHttp(app, infra.config);
    return app;
  }),
);
