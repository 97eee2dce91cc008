import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { text } from 'express';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { StandardSchemaValidationPipe } from '@nestjs/common';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiKeysController } from './controllers/api-keys.controller';
import { CredentialsController } from './controllers/credentials.controller';
import { CredentialsService } from './services/credentials.service';
import { MetersController } from './controllers/meters.controller';
import { PricingController } from './controllers/pricing.controller';
import { ProductsController } from './controllers/products.controller';
import { RegionsController } from './controllers/regions.controller';
import { JsonOnlyMiddleware, JsonOrCsvMiddleware } from './filters/json-only.middleware';
import { ProblemFilter, ValidationProblem } from './filters/problem.filter';
import { AnalyticsService } from './services/analytics.service';
import { ApiKeyService } from './services/api-key.service';
import { BillingService } from './services/billing.service';
import { CatalogService } from './services/catalog.service';
import { PricingService } from './services/pricing.service';
import { WebController } from './web/web.controller';
import { OpenApiController } from './openapi/openapi.controller';

/** The analysts' and operators' REST API (/v1), its OpenAPI document and the web pages (health and metrics: PlatformModule). */
@Module({
  controllers: [
    RegionsController,
    PricingController,
    MetersController,
    ProductsController,
    ApiKeysController,
    CredentialsController,
    WebController,
    OpenApiController,
  ],
  providers: [
    CatalogService,
    AnalyticsService,
    BillingService,
    PricingService,
    ApiKeyService,
    CredentialsService,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_FILTER, useClass: ProblemFilter },
    {
      provide: APP_PIPE,
      useValue: new StandardSchemaValidationPipe({
        exceptionFactory: (issues) =>
          new ValidationProblem(
            issues.map((i) => ({
              field: (i.path ?? []).map((p) => (typeof p === 'object' ? String(p.key) : String(p))).join('.') || '(body)',
              message: i.message,
            })),
          ),
      }),
    },
  ],
})
export class ApiModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Price series may come as CSV (a year of half hours is ~17,520 rows): parsed as text on those two routes only.
    const uploads = [
      { path: 'v1/regions/:id/wholesale-prices', method: RequestMethod.POST },
      { path: 'v1/regions/:id/schedules', method: RequestMethod.POST },
    ];
    consumer.apply(text({ type: 'text/csv', limit: '5mb' })).forRoutes(...uploads);
    consumer
      .apply(JsonOnlyMiddleware)
      .exclude(...uploads)
      .forRoutes('v1/*path');
    consumer.apply(JsonOrCsvMiddleware).forRoutes(...uploads);
  }
}
