// Long on purpose: the one table of the API's operations (path, method, role, status, schemas), one entry each,
// read by the @Route decorator and the OpenAPI document alike.
import type { z } from 'zod';
import type { Role } from '@wattline/domain';
import {
  billResponse,
  eventResponse,
  explanationResponse,
  issuedApiKeyResponse,
  issuedCredentialResponse,
  meterResponse,
  octopusRatesResponse,
  priceFeedResponse,
  openAdrClientResponse,
  pages,
  priceResponse,
  pricingVersionResponse,
  provisionedMeterResponse,
  regionResponse,
  responseAnalysisResponse,
  revokedResponse,
  simulationResponse,
  uploadResponse,
  decommissionedResponse,
  meterSecretResponse,
  provisionedMetersResponse,
  seqResetResponse,
  regionAlertsResponse,
  replayRequestedResponse,
} from '../dtos/responses';
import {
  createOpenAdrClientSchema,
  priceFeedQuerySchema,
  billQuerySchema,
  changeTariffSchema,
  changeCohortSchema,
  moveRegionSchema,
  createApiKeySchema,
  createMeterSchema,
  createRegionSchema,
  createServiceCredentialSchema,
  csvUploadQuerySchema,
  declareEventSchema,
  listQuerySchema,
  meterListQuerySchema,
  octopusRatesQuerySchema,
  putPricingSchema,
  rangeQuerySchema,
  readingsQuerySchema,
  regionBillsQuerySchema,
  eventsQuerySchema,
  responseQuerySchema,
  scheduleUploadQuerySchema,
  simulationSchema,
  tariffListQuerySchema,
  tariffQuerySchema,
  tariffRangeQuerySchema,
  uploadPricesSchema,
  deadLettersQuerySchema,
  replayDeadLettersSchema,
  bulkMetersSchema,
  auditLogQuerySchema,
} from '../dtos/schemas';

/** What a route answers on success. */
export type RouteAnswer =
  /** One JSON object of a registered response schema. */
  | { kind: 'json'; schema: z.ZodType; description?: string }
  /** A page (`{items, nextCursor}`), or CSV with `Accept: text/csv`. */
  | { kind: 'page'; schema: z.ZodType }
  /** One JSON object, or its lines as CSV with `Accept: text/csv`. */
  | { kind: 'json-or-csv'; schema: z.ZodType; description: string }
  /** Not JSON of ours: health, metrics, this document. */
  | { kind: 'other'; description: string; content?: Record<string, unknown>; more?: Record<number, string> };

/** One operation of the REST API, declared once: the controller's decorator and the OpenAPI document both come from it. */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT';
  /** OpenAPI form, from the root: `/v1/regions/{id}`. */
  path: string;
  /** The least role it needs (an analyst key reads; admin also changes); null: public. */
  role: Role | null;
  /** The success status (default: 201 for POST, else 200). */
  status?: number;
  summary: string;
  description?: string;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The body may also come as text/csv (columns named by the query). */
  csvBody?: boolean;
  answer: RouteAnswer;
  /** Problem statuses besides the ones every route may answer (400, 401, 403, 404). */
  problems?: readonly number[];
  /** Path parameters that are not plain ids. */
  pathSchemas?: Readonly<Record<string, Record<string, unknown>>>;
  /** Served by the platform module (every app), not by an API controller: documented here. */
  platform?: true;
  /** A read of household data: each one is written to the audit log under this action (auth/audit.interceptor.ts). */
  personal?: string;
}

const json = (schema: z.ZodType, description?: string): RouteAnswer => ({ kind: 'json', schema, ...(description ? { description } : {}) });
const page = (schema: z.ZodType): RouteAnswer => ({ kind: 'page', schema });

/** What both price uploads take and answer: JSON, or CSV with its columns named in the query. */
const UPLOAD = {
  description:
    'JSON, or text/csv with the columns named by the query (timeColumn, priceColumn, bandColumn; divisor 100 for pence; timeZone of naive times).',
  query: csvUploadQuerySchema,
  body: uploadPricesSchema,
  csvBody: true,
  answer: json(uploadResponse, 'stored'),
  problems: [415],
} as const satisfies Partial<RouteSpec>;

/** Every operation of the API, by name. */
export const ROUTES = {
  createRegion: {
    method: 'POST',
    path: '/v1/regions',
    role: 'admin',
    summary: 'Create a region with its currency and pricing model',
    body: createRegionSchema,
    answer: json(regionResponse, 'created'),
    problems: [409],
  },
  listRegions: {
    method: 'GET',
    path: '/v1/regions',
    role: 'analyst',
    summary: 'List regions',
    query: listQuerySchema,
    answer: page(pages.region),
  },
  getRegion: { method: 'GET', path: '/v1/regions/{id}', role: 'analyst', summary: 'A region', answer: json(regionResponse) },
  regionBills: {
    method: 'GET',
    path: '/v1/regions/{id}/bills',
    role: 'analyst',
    summary: "Every household's bill over a window (a page of meters at a time), against the shadow bill",
    query: regionBillsQuerySchema,
    answer: page(pages.householdBill),
    personal: 'region-bills',
  },
  aggregates: {
    method: 'GET',
    path: '/v1/regions/{id}/aggregates',
    role: 'analyst',
    summary: 'Demand, supply, meters reporting and late readings per interval',
    query: rangeQuerySchema,
    answer: page(pages.aggregate),
  },
  revisions: {
    method: 'GET',
    path: '/v1/regions/{id}/revisions',
    role: 'analyst',
    summary: 'Revisions of priced intervals by late readings: version, deltas, who and when',
    query: rangeQuerySchema,
    answer: page(pages.revision),
  },
  tariffs: {
    method: 'GET',
    path: '/v1/regions/{id}/tariffs',
    role: 'analyst',
    summary: "Firm prices of one of the region's tariffs (its default unless `tariff` names another) as announced, by interval",
    query: tariffRangeQuerySchema,
    answer: page(pages.tariff),
  },
  currentTariff: {
    method: 'GET',
    path: '/v1/regions/{id}/tariffs/current',
    role: 'analyst',
    summary:
      'What prices/{id}/current (or, for another `tariff`, prices/{id}/{tariff}/current) carries now: the firm price in force, or the fallback (basis "fallback")',
    query: tariffQuerySchema,
    answer: json(priceResponse),
  },
  explainTariff: {
    method: 'GET',
    path: '/v1/regions/{id}/tariffs/{intervalStart}/explain',
    role: 'analyst',
    summary:
      "A firm price's inputs, parameters and model version, a recomputation that matches, and ex post the measured utilisation and the level it would have had",
    pathSchemas: { intervalStart: { type: 'string', format: 'date-time' } },
    query: tariffQuerySchema,
    answer: json(explanationResponse),
  },
  regionAlerts: {
    method: 'GET',
    path: '/v1/regions/{id}/alerts',
    role: 'analyst',
    summary:
      'The region’s alert conditions now (price expired or expiring, fallback in force, schedule late, event clock stalled, devices silent, dead letters), judged as deploy/prometheus/alerts.yml does, and its fleet in numbers',
    answer: json(regionAlertsResponse, 'the alert conditions that hold'),
  },
  forecast: {
    method: 'GET',
    path: '/v1/regions/{id}/forecast',
    role: 'analyst',
    summary: 'Forecast demand and supply per interval beside the actuals, with the error',
    query: rangeQuerySchema,
    answer: page(pages.forecast),
  },
  simulate: {
    method: 'POST',
    path: '/v1/regions/{id}/simulations',
    role: 'analyst',
    status: 200,
    summary:
      'What-if: re-price a stored window from the inputs its prices were computed with, under other parameters; each household’s cost at both; nothing published changes',
    body: simulationSchema,
    answer: json(simulationResponse),
  },
  response: {
    method: 'GET',
    path: '/v1/regions/{id}/response',
    role: 'analyst',
    summary:
      "Did the tariff work? Mean consumption per household and interval at each price level: the dynamic-tariff meters against the `control` cohort, each level's ratio against the baseline level's",
    query: responseQuerySchema,
    answer: json(responseAnalysisResponse),
  },
  pricingVersions: {
    method: 'GET',
    path: '/v1/regions/{id}/pricing',
    role: 'analyst',
    summary: "The pricing versions of one of the region's tariffs (its default unless `tariff` names another), oldest first",
    query: tariffListQuerySchema,
    answer: page(pages.pricingVersion),
  },
  changePricing: {
    method: 'PUT',
    path: '/v1/regions/{id}/pricing',
    role: 'admin',
    status: 201,
    summary:
      'A new pricing model or parameters, effective from an interval start; refused (409) before the end of the last announced price',
    body: putPricingSchema,
    answer: json(pricingVersionResponse, 'the new version'),
    problems: [409],
  },
  declareEvent: {
    method: 'POST',
    path: '/v1/regions/{id}/events',
    role: 'admin',
    summary: 'Declare a critical-peak event; refused (409) past the notice deadline (the cut-off before its day) or over the yearly budget',
    body: declareEventSchema,
    answer: json(eventResponse, 'declared'),
    problems: [409],
  },
  events: {
    method: 'GET',
    path: '/v1/regions/{id}/events',
    role: 'analyst',
    summary: 'Declared events (every one unless `from`/`to` narrow them)',
    query: eventsQuerySchema,
    answer: page(pages.event),
  },
  uploadWholesale: {
    method: 'POST',
    path: '/v1/regions/{id}/wholesale-prices',
    role: 'admin',
    summary: 'A wholesale price series for wholesale-indexed pricing',
    ...UPLOAD,
  },
  uploadSchedule: {
    method: 'POST',
    path: '/v1/regions/{id}/schedules',
    role: 'admin',
    summary: 'A published price schedule applied as it is (model "schedule") to one tariff (the default unless `tariff` names another)',
    ...UPLOAD,
    query: scheduleUploadQuerySchema,
  },
  octopusRates: {
    method: 'GET',
    path: '/v1/products/{regionId}/electricity-tariffs/{code}/standard-unit-rates/',
    role: null,
    summary:
      "A region's tariff's prices as Octopus Energy's API gives unit rates: the product is the region, the tariff code one of its tariffs (public; newest first; absolute next/previous URLs)",
    query: octopusRatesQuerySchema,
    answer: json(octopusRatesResponse),
  },
  priceFeed: {
    method: 'GET',
    path: '/v1/regions/{id}/price-feed',
    role: null,
    summary:
      "A tariff's announced firm prices from the interval in force on, as a plain JSON array of {start, end, value} (public; what evcc's custom tariff reads)",
    query: priceFeedQuerySchema,
    answer: json(priceFeedResponse),
  },
  provisionMeter: {
    method: 'POST',
    path: '/v1/meters',
    role: 'admin',
    summary: 'Provision a meter or inverter; answers its MQTT credentials once',
    body: createMeterSchema,
    answer: json(provisionedMeterResponse, 'provisioned'),
    problems: [409],
  },
  listMeters: {
    method: 'GET',
    path: '/v1/meters',
    role: 'analyst',
    summary: 'List meters with online state and last reading time',
    query: meterListQuerySchema,
    answer: page(pages.meter),
  },
  getMeter: {
    method: 'GET',
    path: '/v1/meters/{id}',
    role: 'analyst',
    summary: 'A meter, with its tariff now and its plan',
    answer: json(meterResponse),
    personal: 'meter',
  },
  changeTariff: {
    method: 'PUT',
    path: '/v1/meters/{id}/tariff',
    role: 'admin',
    status: 200,
    summary:
      "Move a household to another of its region's tariffs from a future interval start (never retroactively); a later change already planned from then on is replaced",
    body: changeTariffSchema,
    answer: json(meterResponse, 'the meter with its plan'),
    problems: [409],
  },
  moveRegion: {
    method: 'PUT',
    path: '/v1/meters/{id}/region',
    role: 'admin',
    status: 200,
    summary:
      "Move a household (its meter and inverters) to another region from a future interval start: its readings count there from then on, on the tariff given (default: the new region's default), and its account there starts at the move; a later move or tariff change already planned from then on is replaced",
    body: moveRegionSchema,
    answer: json(meterResponse, 'the meter with its region and tariff plans'),
    problems: [409],
  },
  changeCohort: {
    method: 'PUT',
    path: '/v1/meters/{id}/cohort',
    role: 'admin',
    status: 200,
    summary:
      'Move a meter to another cohort (or none) from a future interval start: the response analysis counts each interval in the cohort the meter was in then; a later change already planned from then on is replaced',
    body: changeCohortSchema,
    answer: json(meterResponse, 'the meter with its cohort plan'),
    problems: [409],
  },
  readings: {
    method: 'GET',
    path: '/v1/meters/{id}/readings',
    role: 'analyst',
    summary: 'Stored readings',
    query: readingsQuerySchema,
    answer: page(pages.reading),
    personal: 'readings',
  },
  bill: {
    method: 'GET',
    path: '/v1/meters/{id}/bill',
    role: 'analyst',
    summary:
      'A bill: consumption at the firm prices (tax apart), export credited at the feed-in price, standing charge, the shadow bill under the flat reference tariff, household protection; per interval or grouped; `Accept: text/csv` for its lines or groups',
    query: billQuerySchema,
    answer: { kind: 'json-or-csv', schema: billResponse, description: 'the bill' },
    problems: [409],
    personal: 'bill',
  },
  revokeMeter: {
    method: 'POST',
    path: '/v1/meters/{id}/revoke',
    role: 'admin',
    status: 200,
    summary: 'Revoke a device: every broker drops its cached credential and closes its connections',
    answer: json(revokedResponse, 'revoked'),
    problems: [409],
  },
  issueDisplayCredential: {
    method: 'POST',
    path: '/v1/meters/{id}/display-credentials',
    role: 'admin',
    summary: "Issue a display's MQTT credential: reads its household's topics and its region's prices",
    answer: json(issuedCredentialResponse, 'the credential, shown once'),
  },
  issueServiceCredential: {
    method: 'POST',
    path: '/v1/service-credentials',
    role: 'admin',
    summary: 'Issue a subscribe-only MQTT credential for a back-office service',
    body: createServiceCredentialSchema,
    answer: json(issuedCredentialResponse, 'the credential, shown once'),
  },
  provisionMeters: {
    method: 'POST',
    path: '/v1/meters/bulk',
    role: 'admin',
    summary:
      'Provision up to 10,000 devices at once, all or none: JSON `{meters:[…]}` or a text/csv file with the columns id, regionId, kind, cohort, householdId, tariff (regionId required; an inverter may name a household in the same file); answered once with every credential, as CSV with `Accept: text/csv`',
    body: bulkMetersSchema,
    csvBody: true,
    answer: { kind: 'json-or-csv', schema: provisionedMetersResponse, description: 'the devices and their credentials, shown once' },
    problems: [409, 413, 415],
  },
  rotateMeterSecret: {
    method: 'POST',
    path: '/v1/meters/{id}/rotate-secret',
    role: 'admin',
    status: 200,
    summary:
      'Give a device a new MQTT secret; the one before keeps working for SECRET_ROTATION_GRACE_SECONDS (a day by default), cached or not, then no more',
    answer: json(meterSecretResponse, 'the new secret, shown once'),
    problems: [409],
  },
  reinstateMeter: {
    method: 'POST',
    path: '/v1/meters/{id}/reinstate',
    role: 'admin',
    status: 200,
    summary: 'Bring a revoked device back, with a new secret (the one it had is never trusted again); a decommissioned one is refused',
    answer: json(meterSecretResponse, 'the new secret, shown once'),
    problems: [409],
  },
  resetMeterSeq: {
    method: 'POST',
    path: '/v1/meters/{id}/seq-reset',
    role: 'admin',
    status: 200,
    summary:
      'Declare that a meter’s seq counter restarted (a firmware update): the numbers it claimed are released, so its new readings count instead of being answered duplicate_conflict; the readings stored stay',
    answer: json(seqResetResponse, 'the counter reset'),
  },
  decommissionMeter: {
    method: 'POST',
    path: '/v1/meters/{id}/decommission',
    role: 'admin',
    status: 200,
    summary: 'Retire a device for good: its credential is erased and every broker drops it; its readings, intervals and bills are kept',
    answer: json(decommissionedResponse, 'decommissioned'),
    problems: [409],
  },
  revokeServiceCredential: {
    method: 'POST',
    path: '/v1/service-credentials/{id}/revoke',
    role: 'admin',
    status: 200,
    summary: 'Revoke a service or display credential',
    answer: json(revokedResponse, 'revoked'),
  },
  auditLog: {
    method: 'GET',
    path: '/v1/audit-log',
    role: 'admin',
    summary:
      'Reads of household data through the API (readings, bills), newest first: which key, what, whose, when; by meterId or keyId, with a cursor or as CSV',
    query: auditLogQuerySchema,
    answer: page(pages.auditEntry),
  },
  listDeadLetters: {
    method: 'GET',
    path: '/v1/dead-letters',
    role: 'admin',
    summary:
      'Records that could not be processed (a malformed reading, one the database refused, a conflicting duplicate), newest first, with their reason and payload; `Accept: text/csv` for a spreadsheet',
    query: deadLettersQuerySchema,
    answer: page(pages.deadLetter),
  },
  replayDeadLetters: {
    method: 'POST',
    path: '/v1/dead-letters/replay',
    role: 'admin',
    status: 202,
    summary:
      'Replay dead letters after a fix: readings are judged again by today’s rules and, if valid, handed to the stream at the aggregator’s next pass (the outcome is on each letter); other streams’ letters are refused, the platform re-derives them',
    body: replayDeadLettersSchema,
    answer: json(replayRequestedResponse, 'the letters to be replayed'),
  },
  enrolOpenAdrClient: {
    method: 'POST',
    path: '/v1/openadr/clients',
    role: 'admin',
    summary: 'Enrol an OpenADR 3 client of the VTN (/openadr/3): a VEN for a tariff’s program, or a business-logic client',
    body: createOpenAdrClientSchema,
    answer: json(openAdrClientResponse, 'the client, its secret shown once'),
    problems: [409],
  },
  issueApiKey: {
    method: 'POST',
    path: '/v1/api-keys',
    role: 'admin',
    summary: 'Issue an API key (shown once)',
    body: createApiKeySchema,
    answer: json(issuedApiKeyResponse, 'the key, shown once'),
  },
  listApiKeys: {
    method: 'GET',
    path: '/v1/api-keys',
    role: 'admin',
    summary: 'API keys issued (never their secret), revoked ones with their time',
    query: listQuerySchema,
    answer: page(pages.apiKey),
  },
  revokeApiKey: {
    method: 'POST',
    path: '/v1/api-keys/{id}/revoke',
    role: 'admin',
    status: 200,
    summary: 'Revoke an API key at once',
    answer: json(revokedResponse, 'revoked'),
    problems: [404],
  },
  health: {
    method: 'GET',
    path: '/health',
    role: null,
    platform: true,
    summary: 'Readiness of every dependency (503 when one is down)',
    answer: { kind: 'other', description: 'ready', more: { 503: 'degraded' } },
  },
  metrics: {
    method: 'GET',
    path: '/metrics',
    role: null,
    platform: true,
    summary: 'Prometheus metrics',
    answer: { kind: 'other', description: 'text exposition format' },
  },
  openapi: {
    method: 'GET',
    path: '/openapi.json',
    role: null,
    summary: 'This document (Swagger UI at /docs)',
    answer: { kind: 'other', description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } },
  },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof ROUTES;
