import type { PricingModel } from './pricing';
import type { Price, PriceExplanation } from './prices';
import type { Reading } from './readings';

/** What the platform knows about regions, devices, keys and results; times in epoch ms. */
export interface Region {
  id: string;
  name: string;
  timezone: string;
  pricing: PricingModel;
  createdAt: number;
}

export type DeviceKind = 'meter' | 'inverter';

export interface Meter {
  id: string;
  regionId: string;
  kind: DeviceKind;
  /** A tariff group for response analysis (e.g. the dynamic tariff, or the control group on the flat one). */
  cohort: string | null;
  createdAt: number;
  revokedAt: number | null;
  online: boolean;
  statusSince: number | null;
  lastReadingAt: number | null;
}

/** What the broker needs to authenticate an MQTT username: a device, or a subscribe-only client. */
export type MqttCredential =
  | { kind: 'meter'; id: string; regionId: string; deviceKind: DeviceKind; passwordHash: string; revoked: boolean }
  | { kind: 'client'; id: string; clientKind: ClientKind; filters: string[]; publishFilters: string[]; passwordHash: string; revoked: boolean };

/** MQTT clients that are not devices: back-office services (which an admin may also let publish), and household displays. */
export type ClientKind = 'service' | 'display';

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

export type Role = 'admin' | 'analyst';

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

/** A stored price: when it was computed (announced) and, for a firm one, what from. */
export interface Tariff extends Price {
  computedAt: number;
  explanation?: PriceExplanation;
}

/** One version of a region's pricing, in force for intervals starting at or after `effectiveFrom` (null: from the beginning). */
export interface PricingVersion {
  regionId: string;
  version: number;
  effectiveFrom: number | null;
  pricing: PricingModel;
  createdAt: number;
}

/** A critical-peak event an operator declared: the level it forces over its window. */
export interface PeakEvent {
  id: string;
  regionId: string;
  start: number;
  end: number;
  level: 4 | 5;
  reason: string;
  declaredAt: number;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
