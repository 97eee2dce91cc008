import type { PricingModel } from './pricing';
import type { Reading } from './readings';
import type { TariffPeriod } from './tariff-plans';
import type { RegionPeriod } from './meter-moves';
import type { ClientKind, DeviceKind, Role } from './vocabulary';

/** What the platform knows about regions, devices, keys and results; times in epoch ms. */
export interface Region {
  id: string;
  name: string;
  timezone: string;
  /** The newest pricing of its default tariff. */
  pricing: PricingModel;
  /** The code of the tariff announced on `prices/{id}/current|forecast` (others on `prices/{id}/{tariff}/…`); fixed at creation. */
  defaultTariff: string;
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
  /** The tariff a meter was provisioned on (null for an inverter: it is on its household's); changes are in its plan. */
  tariff: string | null;
  createdAt: number;
  revokedAt: number | null;
  online: boolean;
  statusSince: number | null;
  lastReadingAt: number | null;
}

/** What the broker needs to authenticate an MQTT username: a device, or a subscribe-only client. */
export type MqttCredential =
  | {
      kind: 'meter';
      id: string;
      regionId: string;
      deviceKind: DeviceKind;
      passwordHash: string;
      revoked: boolean;
      prices: PriceAccess;
      /** A household that moved or will move: its regions over time (absent: always `regionId`). */
      regionPlan?: RegionPeriod[];
      /** The secret before a rotation, while its grace period lasts. */
      previous?: { passwordHash: string; validUntil: number };
    }
  | {
      kind: 'client';
      id: string;
      /** `ven`: an OpenADR client of the VTN, whose password is its current access token. */
      clientKind: ClientKind | 'ven';
      filters: string[];
      publishFilters: string[];
      passwordHash: string;
      revoked: boolean;
      /** A display's household: its prices follow the household's tariff. */
      prices?: PriceAccess;
    };

/**
 * What decides whose prices a device or display may read: its household's tariff plan (an
 * inverter's is its household's; unlinked, the region's default), the region's default tariff
 * and the region's clock lead (a plan's times are in the region's time).
 */
export interface PriceAccess {
  regionId: string;
  defaultTariff: string;
  plan: TariffPeriod[];
  clockLead: number | null;
}

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
  /** The regions it may read (null: every region): households of any other are not found with it. */
  regions: string[] | null;
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
