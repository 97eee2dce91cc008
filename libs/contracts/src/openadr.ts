import type { PricingModel, Tariff, TariffRef } from '@wattline/domain';

/**
 * Wattline's prices as OpenADR 3.1 objects (the specification is libs/contracts/openadr3/, a
 * copy of the OpenADR Alliance's 3.1.1 release): each tariff of a region is a *program*; each
 * local day of that tariff with firm prices is an *event* whose intervals carry its `PRICE`
 * (and `EXPORT_PRICE` where the tariff sets a feed-in price). One mapping, used by the VTN's
 * REST answers and its MQTT notifications alike, so a notification is exactly what a GET returns.
 */
export const OPENADR_BASE_PATH = '/openadr/3';

/** objectID is `^[a-zA-Z0-9_-]*$`: a region/tariff (and day) pair, base64url-encoded, so any id of ours maps to one and back. */
const encode = (parts: string[]) => Buffer.from(parts.join('/'), 'utf8').toString('base64url');
const decode = (id: string, count: number): string[] | null => {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) return null;
  const parts = Buffer.from(id, 'base64url').toString('utf8').split('/');
  return parts.length === count && parts.every((p) => p.length > 0) && encode(parts) === id ? parts : null;
};

export function programIdOf(ref: TariffRef): string {
  return encode([ref.regionId, ref.tariff]);
}

export function parseProgramId(id: string): TariffRef | null {
  const parts = decode(id, 2);
  return parts ? { regionId: parts[0], tariff: parts[1] } : null;
}

/** An event: a tariff's local day (`YYYY-MM-DD` in the region's time zone). */
export function eventIdOf(ref: TariffRef, day: string): string {
  return encode([ref.regionId, ref.tariff, day]);
}

export function parseEventId(id: string): { ref: TariffRef; day: string } | null {
  const parts = decode(id, 3);
  if (!parts || !/^\d{4}-\d{2}-\d{2}$/.test(parts[2])) return null;
  return { ref: { regionId: parts[0], tariff: parts[1] }, day: parts[2] };
}

/** A program's targets: its region, and the tariff itself. A VEN is enrolled with the tariff's. */
export function programTargets(ref: TariffRef): string[] {
  return [`region:${ref.regionId}`, `tariff:${ref.regionId}/${ref.tariff}`];
}

/**
 * MQTT topic names of Wattline's choosing (the definition leaves them to the VTN), answered by
 * the `/notifiers/mqtt/topics/...` endpoints. Under `openadr/`, a platform topic root: only the
 * platform publishes there, and a VEN may subscribe only within its programs' own topics.
 */
export const openAdrTopics = {
  root: 'openadr/3',
  programs: {
    CREATE: 'openadr/3/programs/create',
    UPDATE: 'openadr/3/programs/update',
    DELETE: 'openadr/3/programs/delete',
    ALL: 'openadr/3/programs/+',
  },
  program: (programId: string) => ({
    UPDATE: `openadr/3/programs/${programId}/update`,
    DELETE: `openadr/3/programs/${programId}/delete`,
  }),
  events: {
    CREATE: 'openadr/3/events/create',
    UPDATE: 'openadr/3/events/update',
    DELETE: 'openadr/3/events/delete',
    ALL: 'openadr/3/events/+',
  },
  programEvents: (programId: string) => ({
    CREATE: `openadr/3/programs/${programId}/events/create`,
    UPDATE: `openadr/3/programs/${programId}/events/update`,
    DELETE: `openadr/3/programs/${programId}/events/delete`,
    ALL: `openadr/3/programs/${programId}/events/+`,
  }),
  /** The events a VEN may read, on a topic of that VEN's own (`/notifiers/mqtt/topics/vens/{venID}/events`). */
  venEvents: (venId: string) => ({
    CREATE: `openadr/3/vens/${venId}/events/create`,
    UPDATE: `openadr/3/vens/${venId}/events/update`,
    DELETE: `openadr/3/vens/${venId}/events/delete`,
    ALL: `openadr/3/vens/${venId}/events/+`,
  }),
  /** What a VEN may subscribe to: the topics of the programs it reads, and those of its own ven objects. */
  venFilters: (programIds: string[], venIds: string[] = []) => [
    ...programIds.map((id) => `openadr/3/programs/${id}/#`),
    ...venIds.map((id) => `openadr/3/vens/${id}/#`),
  ],
} as const;

const iso = (ms: number) => new Date(ms).toISOString();

/** An ISO-8601 duration of whole seconds (`PT30M`, `PT1H`, `PT15M`). */
export function isoDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${sec || s === 0 ? `${sec}S` : ''}`;
}

export interface ProgramSource {
  ref: TariffRef;
  /** The tariff's pricing now (its newest version): its currency, and whether it sets a feed-in price. */
  pricing: PricingModel;
  createdAt: number;
  modifiedAt: number;
}

const descriptors = (currency: string, feedIn: boolean) => [
  { objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'PRICE', units: 'KWH', currency },
  ...(feedIn ? [{ objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'EXPORT_PRICE', units: 'KWH', currency }] : []),
];

const hasFeedIn = (pricing: PricingModel) => (pricing as { feedInPrice?: string }).feedInPrice !== undefined;

export function openAdrProgram(source: ProgramSource) {
  const { ref, pricing } = source;
  return {
    id: programIdOf(ref),
    createdDateTime: iso(source.createdAt),
    modificationDateTime: iso(source.modifiedAt),
    objectType: 'PROGRAM' as const,
    programName: `${ref.regionId}/${ref.tariff}`,
    programDescriptions: null,
    payloadDescriptors: descriptors(pricing.currency, hasFeedIn(pricing)),
    attributes: null,
    targets: programTargets(ref),
  };
}
export type OpenAdrProgram = ReturnType<typeof openAdrProgram>;

/**
 * A tariff's local day as an event: its firm prices (sorted by interval), created when the first
 * was computed and modified when the last was. Intervals are numbered from the day's start, so an
 * interval keeps its id when a later pass prices the rest of the day.
 */
export function openAdrEvent(ref: TariffRef, day: string, dayStart: number, prices: Tariff[], pricing: PricingModel) {
  const computed = prices.map((p) => p.computedAt);
  const length = prices[0].intervalEnd - prices[0].intervalStart;
  const feedIn = hasFeedIn(pricing);
  return {
    id: eventIdOf(ref, day),
    createdDateTime: iso(Math.min(...computed)),
    modificationDateTime: iso(Math.max(...computed)),
    objectType: 'EVENT' as const,
    programID: programIdOf(ref),
    eventName: `${ref.regionId}/${ref.tariff} ${day}`,
    priority: null,
    targets: programTargets(ref),
    reportDescriptors: null,
    payloadDescriptors: descriptors(prices[0].currency, feedIn),
    intervalPeriod: { start: iso(dayStart), duration: isoDuration(length) },
    intervals: prices.map((p) => ({
      id: Math.round((p.intervalStart - dayStart) / length),
      intervalPeriod: { start: iso(p.intervalStart), duration: isoDuration(p.intervalEnd - p.intervalStart) },
      payloads: [
        { type: 'PRICE', values: [Number(p.price)] },
        ...(feedIn ? [{ type: 'EXPORT_PRICE', values: [Number(p.feedInPrice)] }] : []),
      ],
    })),
  };
}
export type OpenAdrEvent = ReturnType<typeof openAdrEvent>;

/** The notification of an operation on an event (the definition's `notification`: the object exactly as a GET returns it). */
export function openAdrNotification(operation: 'CREATE' | 'UPDATE', event: OpenAdrEvent) {
  return { objectType: 'EVENT' as const, operation, object: event, targets: event.targets };
}

/** An object's metadata as the definition has it (objectMetadata): the VTN writes it. */
interface ObjectSource {
  id: string;
  createdAt: number;
  modifiedAt: number;
}

const metadata = (row: ObjectSource, objectType: string) => ({
  id: row.id,
  createdDateTime: iso(row.createdAt),
  modificationDateTime: iso(row.modifiedAt),
  objectType,
});

/**
 * A ven object. 3.1.1's `ven` schema is objectMetadata *and* BlVenRequest, whose objectType enums
 * (`VEN` among objectTypes, `BL_VEN_REQUEST`) no value satisfies both; Wattline answers `VEN`, as
 * objectMetadata has it (the tests name this erratum where they validate: libs/testing).
 */
export function openAdrVen(row: ObjectSource & { clientId: string; venName: string; targets: string[]; attributes: unknown[] | null }) {
  return { ...metadata(row, 'VEN'), clientID: row.clientId, venName: row.venName, targets: row.targets, attributes: row.attributes };
}
export type OpenAdrVen = ReturnType<typeof openAdrVen>;

/** A resource object (the same erratum as a ven's: `RESOURCE`, not `BL_RESOURCE_REQUEST`). */
export function openAdrResource(
  row: ObjectSource & { venId: string; clientId: string; resourceName: string; targets: string[]; attributes: unknown[] | null },
) {
  return {
    ...metadata(row, 'RESOURCE'),
    clientID: row.clientId,
    resourceName: row.resourceName,
    venID: row.venId,
    targets: row.targets,
    attributes: row.attributes,
  };
}
export type OpenAdrResource = ReturnType<typeof openAdrResource>;

export function openAdrSubscription(
  row: ObjectSource & {
    clientId: string;
    clientName: string;
    programId: string | null;
    objectOperations: unknown[];
    targets: string[] | null;
  },
) {
  return {
    ...metadata(row, 'SUBSCRIPTION'),
    clientID: row.clientId,
    clientName: row.clientName,
    ...(row.programId === null ? {} : { programID: row.programId }),
    objectOperations: row.objectOperations,
    targets: row.targets,
  };
}
export type OpenAdrSubscription = ReturnType<typeof openAdrSubscription>;

/** A report: what the VEN sent (reportRequest), with the metadata and its client id. */
export function openAdrReport(row: ObjectSource & { clientId: string; body: Record<string, unknown> }) {
  return { ...row.body, ...metadata(row, 'REPORT'), clientID: row.clientId };
}
export type OpenAdrReport = ReturnType<typeof openAdrReport>;

export type OpenAdrOperation = 'CREATE' | 'UPDATE' | 'DELETE';

/** The notification of an operation on any object (the definition's `notification`). */
export function openAdrObjectNotification(operation: OpenAdrOperation, object: { objectType: string; targets?: string[] | null }) {
  return { objectType: object.objectType, operation, object, ...(object.targets ? { targets: object.targets } : {}) };
}
