import { InitialSchema1763750000000 } from './1763750000000-initial-schema';
import { ClientCredentials1763760000000 } from './1763760000000-client-credentials';
import { AggregateRevisions1763770000000 } from './1763770000000-aggregate-revisions';
import { PartitionReadings1763780000000 } from './1763780000000-partition-readings';
import { BillRevisions1763790000000 } from './1763790000000-bill-revisions';
import { CloseThenPrice1763800000000 } from './1763800000000-close-then-price';
import { ReadingSeqHolders1763810000000 } from './1763810000000-reading-seq-holders';
import { ServicePublishFilters1763820000000 } from './1763820000000-service-publish-filters';
import { DayAheadPricing1763830000000 } from './1763830000000-day-ahead-pricing';
import { MeterCohorts1763840000000 } from './1763840000000-meter-cohorts';
import { HouseholdSummaries1763850000000 } from './1763850000000-household-summaries';
import { EventClockLead1763860000000 } from './1763860000000-event-clock-lead';
import { LatestAnnouncements1763870000000 } from './1763870000000-latest-announcements';
import { InverterHouseholds1763880000000 } from './1763880000000-inverter-households';
import { HouseholdTariffs1763890000000 } from './1763890000000-household-tariffs';
import { ControlLog1763900000000 } from './1763900000000-control-log';
import { OpenAdrClients1763910000000 } from './1763910000000-openadr-clients';
import { OpenAdrObjects1763920000000 } from './1763920000000-openadr-objects';
import { DeadLetters1763930000000 } from './1763930000000-dead-letters';
import { MeterSecretRotation1763940000000 } from './1763940000000-meter-secret-rotation';
import { ScopedKeysAuditLog1763950000000 } from './1763950000000-scoped-keys-audit-log';
import { ReadingsRetention1763960000000 } from './1763960000000-readings-retention';
import { SeqEpochs1763970000000 } from './1763970000000-seq-epochs';
import { MeterMoves1763980000000 } from './1763980000000-meter-moves';

/** Every migration in order; the data source lists classes, not globs, so dist and tests agree. */
export const MIGRATIONS = [
  InitialSchema1763750000000,
  ClientCredentials1763760000000,
  AggregateRevisions1763770000000,
  PartitionReadings1763780000000,
  BillRevisions1763790000000,
  CloseThenPrice1763800000000,
  ReadingSeqHolders1763810000000,
  ServicePublishFilters1763820000000,
  DayAheadPricing1763830000000,
  MeterCohorts1763840000000,
  HouseholdSummaries1763850000000,
  EventClockLead1763860000000,
  LatestAnnouncements1763870000000,
  InverterHouseholds1763880000000,
  HouseholdTariffs1763890000000,
  ControlLog1763900000000,
  OpenAdrClients1763910000000,
  OpenAdrObjects1763920000000,
  DeadLetters1763930000000,
  MeterSecretRotation1763940000000,
  ScopedKeysAuditLog1763950000000,
  ReadingsRetention1763960000000,
  SeqEpochs1763970000000,
  MeterMoves1763980000000,
];
