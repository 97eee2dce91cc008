import { ThrottlerModule } from '@nestjs/throttler';
import type { WattlineConfig } from '@wattline/config';
import { CONFIG } from '@wattline/platform';
import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { json, urlencoded } from 'express';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiKeysController } from './controllers/api-keys.controller';
import { CredentialsController } from './controllers/credentials.controller';
import { DeadLettersController } from './controllers/dead-letters.controller';
import { AlertsController } from './controllers/alerts.controller';
import { AuditLogController } from './controllers/audit-log.controller';
import { AuditInterceptor } from './auth/audit.interceptor';
import { AlertsService } from './services/alerts.service';
import { DeadLettersService } from './services/dead-letters.service';
import { CredentialsService } from './services/credentials.service';
import { MetersController } from './controllers/meters.controller';
import { OpenAdrClientsController } from './controllers/openadr-clients.controller';
import { VtnController } from './openadr/vtn.controller';
import { VtnService } from './openadr/vtn.service';
import { VtnObjectsService } from './openadr/vtn-objects.service';
import { WebhookClient } from './openadr/webhook-client';
import { WebhookDispatcher } from './openadr/webhook-dispatcher.service';
import { OpenAdrSchemas } from '@wattline/contracts';
import { PricingController } from './controllers/pricing.controller';
import { ProductsController } from './controllers/products.controller';
import { RegionsController } from './controllers/regions.controller';
import { JsonOnlyMiddleware, JsonOrCsvMiddleware } from './filters/json-only.middleware';
import { ProblemFilter } from './filters/problem.filter';
import { AnalyticsService } from './services/analytics.service';
import { ApiKeyService } from './services/api-key.service';
import { ComputePool } from './compute/compute-pool.service';
import { BillingService } from './services/billing.service';
import { CatalogService } from './services/catalog.service';
import { PricingService } from './services/pricing.service';
import { TariffPlansService } from './services/tariff-plans.service';
import { WebController } from './web/web.controller';
import { UPLOAD_LIMITS } from './dtos/prices-csv';
import { CsvMetersMiddleware, CsvPricesMiddleware } from './routes/route-params';
import { METERS_CSV_LIMITS } from './dtos/meters-csv';

/** Any other request body (a region, a pricing model, an event): Express' own default, 100 KiB. */
const REQUEST_BODY_BYTES = 100 * 1024;
import { OpenApiController } from './openapi/openapi.controller';

/** The analysts' and operators' REST API (/v1), its OpenAPI document and the web pages (health and metrics: PlatformModule). */
@Module({
  imports: [
    // One window a minute per address for the public endpoints (ProductsController); keyed by the socket's address.
    ThrottlerModule.forRootAsync({
      inject: [CONFIG],
      useFactory: (config: WattlineConfig) => [{ ttl: 60_000, limit: config.PUBLIC_RATE_LIMIT_PER_MINUTE }],
    }),
  ],
  controllers: [
    RegionsController,
    PricingController,
    MetersController,
    ProductsController,
    ApiKeysController,
    CredentialsController,
    OpenAdrClientsController,
    DeadLettersController,
    AlertsController,
    AuditLogController,
    WebController,
    OpenApiController,
    VtnController,
  ],
  providers: [
    CatalogService,
    AnalyticsService,
    BillingService,
    TariffPlansService,
    PricingService,
    ComputePool,
    ApiKeyService,
    CredentialsService,
    DeadLettersService,
    AlertsService,
    VtnService,
    VtnObjectsService,
    WebhookClient,
    WebhookDispatcher,
    // The OpenADR document's schemas, compiled once: what clients send the VTN is checked against them.
    { provide: OpenAdrSchemas, useFactory: () => new OpenAdrSchemas() },
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_FILTER, useClass: ProblemFilter },
    { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
  ],
})
export class ApiModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Bodies are parsed here, not by Nest's default parser (the apps create Nest with `bodyParser: false`): each route
    // gets the limit it is for. Price uploads carry up to 50,000 prices as JSON, or stream as CSV (read row by row).
    const uploads = [
      { path: 'v1/regions/:id/wholesale-prices', method: RequestMethod.POST },
      { path: 'v1/regions/:id/schedules', method: RequestMethod.POST },
    ];
    consumer.apply(JsonOrCsvMiddleware, json({ limit: UPLOAD_LIMITS.bytes }), CsvPricesMiddleware).forRoutes(...uploads);
    // A provisioning file: up to 10,000 devices as JSON or CSV (streamed, row by row).
    const provisioning = { path: 'v1/meters/bulk', method: RequestMethod.POST };
    consumer.apply(JsonOrCsvMiddleware, json({ limit: METERS_CSV_LIMITS.bytes }), CsvMetersMiddleware).forRoutes(provisioning);
    consumer
      .apply(JsonOnlyMiddleware, json({ limit: REQUEST_BODY_BYTES }))
      .exclude(...uploads, provisioning)
      .forRoutes('v1/*path');
    // The VTN's writes (subscriptions, vens, resources, reports) are JSON, as the OpenADR document has them.
    consumer
      .apply(JsonOnlyMiddleware, json({ limit: REQUEST_BODY_BYTES }))
      .exclude({ path: 'openadr/3/auth/token', method: RequestMethod.POST })
      .forRoutes({ path: 'openadr/3/*path', method: RequestMethod.ALL });
    // OAuth 2's token request is a form [RFC 6749 §4.4.2]: a few fields, a small limit.
    consumer.apply(urlencoded({ extended: false, limit: '8kb' })).forRoutes({ path: 'openadr/3/auth/token', method: RequestMethod.POST });
  }
}
