export * from './entities';
export * from './data-source';
export * from './embedded-postgres';
export * from './sql';
export * from './cursor';
export * from './errors';
export * from './outbox';
export * from './catalog.repository';
export * from './readings.repository';
export * from './intervals.repository';
export * from './tariffs.repository';
export * from './announcements.repository';
export * from './pricing-versions.repository';
export * from './market-inputs.repository';
export * from './forecasts.repository';
export * from './control-log.repository';
export * from './openadr.repository';
export * from './openadr-objects.repository';
export * from './dead-letters.repository';
export * from './audit-log.repository';
export * from './meter-moves.repository';

import { AnnouncementsRepository } from './announcements.repository';
import { CatalogRepository } from './catalog.repository';
import { ControlLogRepository } from './control-log.repository';
import { OpenAdrRepository } from './openadr.repository';
import { OpenAdrObjectsRepository } from './openadr-objects.repository';
import { DeadLettersRepository } from './dead-letters.repository';
import { AuditLogRepository } from './audit-log.repository';
import { MeterMovesRepository } from './meter-moves.repository';
import { ForecastsRepository } from './forecasts.repository';
import { IntervalsRepository } from './intervals.repository';
import { MarketInputsRepository } from './market-inputs.repository';
import { PricingVersionsRepository } from './pricing-versions.repository';
import { ReadingsRepository } from './readings.repository';
import { TariffsRepository } from './tariffs.repository';

/** Every repository, one per table family; each is built on the data source alone (platform.module.ts provides them). */
export const REPOSITORIES = [
  CatalogRepository,
  ReadingsRepository,
  IntervalsRepository,
  TariffsRepository,
  AnnouncementsRepository,
  PricingVersionsRepository,
  MarketInputsRepository,
  ForecastsRepository,
  ControlLogRepository,
  OpenAdrRepository,
  OpenAdrObjectsRepository,
  DeadLettersRepository,
  AuditLogRepository,
  MeterMovesRepository,
] as const;
