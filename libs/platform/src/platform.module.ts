import { Global, Module, type DynamicModule } from '@nestjs/common';
import { CatalogRepository, IntervalsRepository, ReadingsRepository } from '@wattline/persistence';
import { STREAM } from '@wattline/stream';
import type { Infrastructure } from './infrastructure';
import { CONTROL_BUS } from './control-bus';
import { Metrics } from './metrics';
import { CLOCK, CONFIG, DATA_SOURCE, systemClock } from './tokens';

/**
 * Makes the infrastructure built by `bootstrapInfrastructure` injectable everywhere:
 * configuration, data source, stream, repositories, metrics and the clock.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(infra: Infrastructure, metrics = new Metrics()): DynamicModule {
    const providers = [
      { provide: CONFIG, useValue: infra.config },
      { provide: DATA_SOURCE, useValue: infra.dataSource },
      { provide: STREAM, useValue: infra.stream },
      { provide: CONTROL_BUS, useValue: infra.controlBus },
      { provide: CLOCK, useValue: systemClock },
      { provide: Metrics, useValue: metrics },
      { provide: CatalogRepository, useValue: new CatalogRepository(infra.dataSource) },
      { provide: ReadingsRepository, useValue: new ReadingsRepository(infra.dataSource) },
      { provide: IntervalsRepository, useValue: new IntervalsRepository(infra.dataSource) },
    ];
    return { module: PlatformModule, providers, exports: providers.map((p) => p.provide) };
  }
}
