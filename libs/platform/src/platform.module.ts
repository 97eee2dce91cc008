import { Global, Module, type DynamicModule, type InjectionToken, type ValueProvider } from '@nestjs/common';
import { REPOSITORIES, Database } from '@wattline/persistence';
import { STREAM } from '@wattline/stream';
import type { Infrastructure } from './infrastructure';
import { CONTROL_BUS } from './control-bus';
import { HEALTH, HealthController } from './health';
import { Metrics } from './metrics';
import { CLOCK, CONFIG, DATA_SOURCE, systemClock, type Clock } from './tokens';

/** What the providers are built from: the infrastructure (a test may leave out the control bus and health). */
export type ProvidedInfrastructure = Pick<Infrastructure, 'config' | 'dataSource' | 'stream' | 'metrics'> &
  Partial<Pick<Infrastructure, 'controlBus' | 'health'>>;

/**
 * The infrastructure as injectable providers: configuration, data source, stream, control bus,
 * metrics, health, the clock, the `Database` for transactions over several tables, and one
 * instance of each repository. The apps get them through `PlatformModule`; tests that build a
 * piece of an app (e.g. the aggregator's clock pass) with Nest's testing module, directly.
 */
export function platformProviders(
  infra: ProvidedInfrastructure,
  clock: Clock = systemClock,
): (ValueProvider & { provide: InjectionToken })[] {
  return [
    { provide: CONFIG, useValue: infra.config },
    { provide: DATA_SOURCE, useValue: infra.dataSource },
    { provide: STREAM, useValue: infra.stream },
    { provide: CLOCK, useValue: clock },
    { provide: Metrics, useValue: infra.metrics },
    ...(infra.controlBus ? [{ provide: CONTROL_BUS, useValue: infra.controlBus }] : []),
    ...(infra.health ? [{ provide: HEALTH, useValue: infra.health }] : []),
    { provide: Database, useValue: new Database(infra.dataSource) },
    ...REPOSITORIES.map((Repository) => ({ provide: Repository, useValue: new Repository(infra.dataSource) })),
  ];
}

/** Makes the infrastructure injectable everywhere, and serves /health and /metrics in every app. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(infra: Infrastructure): DynamicModule {
    const providers = platformProviders(infra);
    return { module: PlatformModule, controllers: [HealthController], providers, exports: providers.map((p) => p.provide) };
  }
}
