import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { StandardSchemaValidationPipe } from '@nestjs/common';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiKeysController } from './controllers/api-keys.controller';
import { CredentialsController } from './controllers/credentials.controller';
import { CredentialsService } from './services/credentials.service';
import { MetersController } from './controllers/meters.controller';
import { ProductsController } from './controllers/products.controller';
import { RegionsController } from './controllers/regions.controller';
import { JsonOnlyMiddleware } from './filters/json-only.middleware';
import { ProblemFilter, ValidationProblem } from './filters/problem.filter';
import { AnalyticsService } from './services/analytics.service';
import { ApiKeyService } from './services/api-key.service';
import { CatalogService } from './services/catalog.service';
import { WebController } from './web/web.controller';
import { OpenApiController } from './openapi/openapi.controller';

/** The analysts' and operators' REST API (/v1), its OpenAPI document and the web pages (health and metrics: PlatformModule). */
@Module({
  controllers: [RegionsController, MetersController, ProductsController, ApiKeysController, CredentialsController, WebController, OpenApiController],
  providers: [
    CatalogService,
    AnalyticsService,
    ApiKeyService,
    CredentialsService,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_FILTER, useClass: ProblemFilter },
    {
      provide: APP_PIPE,
      useValue: new StandardSchemaValidationPipe({
        exceptionFactory: (issues) =>
          new ValidationProblem(issues.map((i) => ({ field: (i.path ?? []).map((p) => (typeof p === 'object' ? String(p.key) : String(p))).join('.') || '(body)', message: i.message }))),
      }),
    },
  ],
})
export class ApiModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(JsonOnlyMiddleware).forRoutes('v1/*path');
  }
}
