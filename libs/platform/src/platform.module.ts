import { Global, Module, type DynamicModule } from '@nestjs/common';
import { CatalogRepository, IntervalsRepository, PricingRepository, ReadingsRepository } from '@wattline/persistence';
import { STREAM } from '@wattline/stream';
import type { Infrastructure } from './infrastructure';
import { CONTROL_BUS } from './control-bus';
import { HEALTH, HealthController } from './health';
import { Metrics } from './metrics';
import { CLOCK, CONFIG, DATA_SOURCE, systemClock } from './tokens';

/**
 * Makes the infrastructure built by `bootstrapInfrastructure` injectable everywhere:
 * configuration, data source, stream, repositories, metrics, health checks and the clock;
 * and serves /health and /metrics in every app.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(infra: Infrastructure): DynamicModule {
    const providers = [
      { provide: CONFIG, useValue: infra.config },
      { provide: DATA_SOURCE, useValue: infra.dataSource },
      { provide: STREAM, useValue: infra.stream },
      { provide: CONTROL_BUS, useValue: infra.controlBus },
      { provide: CLOCK, useValue: systemClock },
      { provide: Metrics, useValue: infra.metrics },
      { provide: HEALTH, useValue: infra.health },
      { provide: CatalogRepository, useValue: new CatalogRepository(infra.dataSource) },
      { provide: ReadingsRepository, useValue: new ReadingsRepository(infra.dataSource) },
      { provide: IntervalsRepository, useValue: new IntervalsRepository(infra.dataSource) },
      { provide: PricingRepository, useValue: new PricingRepository(infra.dataSource) },
    ];
    return { module: PlatformModule, controllers: [HealthController], providers, exports: providers.map((p) => p.provide) };
  }
}
