import type { PricingModel } from './pricing';
import type { Reading } from './readings';
import type { ClientKind, DeviceKind, Role } from './vocabulary';

/** What the platform knows about regions, devices, keys and results; times in epoch ms. */
export interface Region {
  id: string;
  name: string;
  timezone: string;
  pricing: PricingModel;
  createdAt: number;
}

export interface Meter {
  id: string;
  regionId: string;
  kind: DeviceKind;
  /** A tariff group for response analysis (e.g. the dynamic tariff, or the control group on the flat one). */
  cohort: string | null;
  /** An inverter's household: the meter whose bill its export is credited on (null for a meter, or an inverter not yet linked). */
  householdId: string | null;
  createdAt: number;
  revokedAt: number | null;
  online: boolean;
  statusSince: number | null;
  lastReadingAt: number | null;
}

/** What the broker needs to authenticate an MQTT username: a device, or a subscribe-only client. */
export type MqttCredential =
  | { kind: 'meter'; id: string; regionId: string; deviceKind: DeviceKind; passwordHash: string; revoked: boolean }
  | {
      kind: 'client';
      id: string;
      clientKind: ClientKind;
      filters: string[];
      publishFilters: string[];
      passwordHash: string;
      revoked: boolean;
    };

export interface ClientCredential {
  id: string;
  kind: ClientKind;
  name: string;
  meterId: string | null;
  filters: string[];
  /** Topics a service may publish to (never the platform's own: meters/, prices/, households/, $). */
  publishFilters: string[];
  createdAt: number;
  revokedAt: number | null;
}

export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  createdAt: number;
  revokedAt?: number | null;
}

export interface StoredReading extends Reading {
  receivedAt: number;
  /** Stored after its interval had been priced. */
  late: boolean;
}

export interface IntervalAggregate {
  regionId: string;
  intervalStart: number;
  intervalEnd: number;
  demandWh: number;
  supplyWh: number;
  readings: number;
  metersReporting: number;
  lateReadings: number;
  closedAt: number | null;
  /** 1, plus one for each revision by late readings after the interval was priced. */
  version: number;
  /** Ex post, once closed: measured net demand over capacity, and the level that would have given. */
  measuredUtilisation?: number | null;
  expostLevel?: number | null;
}

/** One revision of a priced interval's aggregate by late readings: who, when, and the deltas. */
export interface AggregateRevision {
  regionId: string;
  intervalStart: number;
  version: number;
  demandDeltaWh: number;
  supplyDeltaWh: number;
  readingsDelta: number;
  reason: string;
  revisedBy: string;
  revisedAt: number;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
