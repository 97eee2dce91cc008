import { z } from 'zod';
import {
  billResponse as Bill,
  eventResponse as PeakEvent,
  explanationResponse as Explanation,
  issuedApiKeyResponse as IssuedApiKey,
  issuedCredentialResponse as IssuedCredential,
  octopusRatesResponse as OctopusRates,
  pages,
  priceResponse as Price,
  pricingVersionResponse as PricingVersion,
  problemSchema,
  provisionedMeterResponse as ProvisionedMeter,
  regionResponse as Region,
  responseAnalysisResponse as ResponseAnalysis,
  responses,
  revokedResponse as Revoked,
  simulationResponse as Simulation,
  uploadResponse as Upload,
  meterResponse as Meter,
} from '../dtos/responses';
import {
  billQuerySchema,
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
  responseQuerySchema,
  simulationSchema,
  uploadPricesSchema,
} from '../dtos/schemas';

/**
 * The OpenAPI 3.1 document of the REST API, generated: request bodies and query parameters from
 * the zod schemas the validation pipe enforces, responses from the schemas the views are typed
 * by (dtos/responses.ts), so the document cannot drift from what is accepted or answered.
 */
const COMPONENTS = '#/components/schemas/';
type Json = Record<string, unknown>;

/** JSON Schema without the keywords a component or a parameter does not carry. */
function bare(schema: Json): Json {
  const { $schema: _s, $id: _i, id: _id, ...rest } = schema;
  return rest;
}

/**
 * zod writes its ISO-8601 check as a 400-character `pattern` beside `format: date-time`; the
 * format says the same (RFC 3339, offset required) to readers and validators alike.
 */
const JSON_SCHEMA = {
  unrepresentable: 'any',
  override: (ctx: { jsonSchema: Json }) => {
    if (ctx.jsonSchema.format === 'date-time') delete ctx.jsonSchema.pattern;
  },
} as const;

/** Every registered response schema as a component, referring to each other by `$ref`. */
function components(): Record<string, Json> {
  const { schemas } = z.toJSONSchema(responses, { ...JSON_SCHEMA, io: 'output', uri: (id) => `${COMPONENTS}${id}` });
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, bare(schema as Json)]));
}

/** A `$ref` to a registered response schema (refused at start-up when it is not registered). */
function ref(schema: z.ZodType): Json {
  const id = responses.get(schema)?.id;
  if (!id) throw new Error('openapi: a response schema is not registered in dtos/responses.ts');
  return { $ref: `${COMPONENTS}${id}` };
}

const requestBody = (schema: z.ZodType, more: Json = {}) => ({
  required: true,
  content: { 'application/json': { schema: bare(z.toJSONSchema(schema, { ...JSON_SCHEMA, io: 'input' }) as Json) }, ...more },
});

/** A query schema's fields as OpenAPI query parameters. */
function query(schema: z.ZodType): Json[] {
  const json = z.toJSONSchema(schema, { ...JSON_SCHEMA, io: 'input' }) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: 'query', required: json.required?.includes(name) ?? false, schema: rest, ...(description ? { description } : {}) };
  });
}

const problem = { description: 'RFC 9457 problem', content: { 'application/problem+json': { schema: ref(problemSchema) } } };
const ok = (schema: z.ZodType, description = 'OK') => ({ description, content: { 'application/json': { schema: ref(schema) } } });
const list = (page: z.ZodType) => ({
  description: 'a page; `Accept: text/csv` for CSV, the next page in `nextCursor` and the `Link` header',
  content: { 'application/json': { schema: ref(page) }, 'text/csv': { schema: { type: 'string' } } },
});
const id = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const secured = (role: 'admin' | 'analyst', op: Record<string, unknown>) => ({
  ...op,
  security: [{ apiKey: [] }],
  // The role the route requires (an analyst key reads, an admin key also changes): tools and the API-surface test read it.
  'x-wattline-role': role,
  description: `${(op.description as string) ?? ''} Role: ${role}.`.trim(),
  responses: { ...(op.responses as object), 400: problem, 401: problem, 403: problem, 404: problem, default: problem },
});

export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Wattline API',
      version: '1',
      description: 'Dynamic energy pricing fed by smart-meter data. Readings arrive over MQTT; this API provisions regions and devices and serves readings, interval aggregates, tariffs and bills.',
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <apiKey>' } },
      schemas: components(),
    },
    paths: {
      '/v1/regions': {
        post: secured('admin', { summary: 'Create a region with its currency and pricing model', requestBody: requestBody(createRegionSchema), responses: { 201: ok(Region, 'created'), 409: problem } }),
        get: secured('analyst', { summary: 'List regions', parameters: query(listQuerySchema), responses: { 200: list(pages.region) } }),
      },
      '/v1/regions/{id}': { get: secured('analyst', { summary: 'A region', parameters: [id('id')], responses: { 200: ok(Region) } }) },
      '/v1/regions/{id}/bills': {
        get: secured('analyst', { summary: "Every household's bill over a window (a page of meters at a time), against the shadow bill", parameters: [id('id'), ...query(rangeQuerySchema)], responses: { 200: list(pages.householdBill) } }),
      },
      '/v1/regions/{id}/aggregates': { get: secured('analyst', { summary: 'Demand, supply, meters reporting and late readings per interval', parameters: [id('id'), ...query(rangeQuerySchema)], responses: { 200: list(pages.aggregate) } }) },
      '/v1/regions/{id}/revisions': { get: secured('analyst', { summary: 'Revisions of priced intervals by late readings: version, deltas, who and when', parameters: [id('id'), ...query(rangeQuerySchema)], responses: { 200: list(pages.revision) } }) },
      '/v1/regions/{id}/tariffs': { get: secured('analyst', { summary: 'Firm prices as announced (day-ahead or intraday), by interval', parameters: [id('id'), ...query(rangeQuerySchema)], responses: { 200: list(pages.tariff) } }) },
      '/v1/regions/{id}/tariffs/current': { get: secured('analyst', { summary: 'What prices/{id}/current carries now: the firm price in force, or the fallback (basis "fallback")', parameters: [id('id')], responses: { 200: ok(Price) } }) },
      '/v1/regions/{id}/tariffs/{intervalStart}/explain': {
        get: secured('analyst', {
          summary: "A firm price's inputs, parameters and model version, a recomputation that matches, and ex post the measured utilisation and the level it would have had",
          parameters: [id('id'), { name: 'intervalStart', in: 'path', required: true, schema: { type: 'string', format: 'date-time' } }],
          responses: { 200: ok(Explanation) },
        }),
      },
      '/v1/regions/{id}/forecast': { get: secured('analyst', { summary: 'Forecast demand and supply per interval beside the actuals, with the error', parameters: [id('id'), ...query(rangeQuerySchema)], responses: { 200: list(pages.forecast) } }) },
      '/v1/regions/{id}/simulations': {
        post: secured('analyst', {
          summary: 'What-if: re-price a stored window from the inputs its prices were computed with, under other parameters; each household’s cost at both; nothing published changes',
          parameters: [id('id')],
          requestBody: requestBody(simulationSchema),
          responses: { 200: ok(Simulation) },
        }),
      },
      '/v1/regions/{id}/response': {
        get: secured('analyst', {
          summary: "Did the tariff work? Mean consumption per household and interval at each price level: the dynamic-tariff meters against the `control` cohort, each level's ratio against the baseline level's",
          parameters: [id('id'), ...query(responseQuerySchema)],
          responses: { 200: ok(ResponseAnalysis) },
        }),
      },
      '/v1/regions/{id}/pricing': {
        get: secured('analyst', { summary: "The region's pricing versions, oldest first", parameters: [id('id'), ...query(listQuerySchema)], responses: { 200: list(pages.pricingVersion) } }),
        put: secured('admin', {
          summary: 'A new pricing model or parameters, effective from an interval start; refused (409) before the end of the last announced price',
          parameters: [id('id')],
          requestBody: requestBody(putPricingSchema),
          responses: { 201: ok(PricingVersion, 'the new version'), 409: problem },
        }),
      },
      '/v1/regions/{id}/events': {
        post: secured('admin', {
          summary: 'Declare a critical-peak event; refused (409) past the notice deadline (the cut-off before its day) or over the yearly budget',
          parameters: [id('id')],
          requestBody: requestBody(declareEventSchema),
          responses: { 201: ok(PeakEvent, 'declared'), 409: problem },
        }),
        get: secured('analyst', { summary: 'Declared events (every one unless `from`/`to` narrow them)', parameters: [id('id'), ...query(rangeQuerySchema)], responses: { 200: list(pages.event) } }),
      },
      ...Object.fromEntries(
        (['wholesale-prices', 'schedules'] as const).map((what) => [
          `/v1/regions/{id}/${what}`,
          {
            post: secured('admin', {
              summary: what === 'schedules' ? 'A published price schedule applied as it is (model "schedule")' : 'A wholesale price series for wholesale-indexed pricing',
              description: 'JSON, or text/csv with the columns named by the query (timeColumn, priceColumn, bandColumn; divisor 100 for pence; timeZone of naive times).',
              parameters: [id('id'), ...query(csvUploadQuerySchema)],
              requestBody: requestBody(uploadPricesSchema, { 'text/csv': { schema: { type: 'string' } } }),
              responses: { 201: ok(Upload, 'stored'), 415: problem },
            }),
          },
        ]),
      ),
      '/v1/products/{regionId}/electricity-tariffs/{code}/standard-unit-rates/': {
        get: {
          summary: "A region's prices as Octopus Energy's API gives unit rates (public; newest first; absolute next/previous URLs)",
          parameters: [id('regionId'), id('code'), ...query(octopusRatesQuerySchema)],
          responses: { 200: ok(OctopusRates), 400: problem, 404: problem, default: problem },
        },
      },
      '/v1/meters': {
        post: secured('admin', { summary: 'Provision a meter or inverter; answers its MQTT credentials once', requestBody: requestBody(createMeterSchema), responses: { 201: ok(ProvisionedMeter, 'provisioned'), 409: problem } }),
        get: secured('analyst', { summary: 'List meters with online state and last reading time', parameters: query(meterListQuerySchema), responses: { 200: list(pages.meter) } }),
      },
      '/v1/meters/{id}': { get: secured('analyst', { summary: 'A meter', parameters: [id('id')], responses: { 200: ok(Meter) } }) },
      '/v1/meters/{id}/readings': { get: secured('analyst', { summary: 'Stored readings', parameters: [id('id'), ...query(rangeQuerySchema)], responses: { 200: list(pages.reading) } }) },
      '/v1/meters/{id}/bill': {
        get: secured('analyst', {
          summary: 'A bill: consumption at the firm prices (tax apart), export credited at the feed-in price, standing charge, the shadow bill under the flat reference tariff, household protection; per interval or grouped; `Accept: text/csv` for its lines or groups',
          parameters: [id('id'), ...query(billQuerySchema)],
          responses: { 200: { description: 'the bill', content: { 'application/json': { schema: ref(Bill) }, 'text/csv': { schema: { type: 'string' } } } } },
        }),
      },
      '/v1/meters/{id}/revoke': { post: secured('admin', { summary: 'Revoke a device: every broker drops its cached credential and closes its connections', parameters: [id('id')], responses: { 200: ok(Revoked, 'revoked'), 409: problem } }) },
      '/v1/meters/{id}/display-credentials': {
        post: secured('admin', { summary: "Issue a display's MQTT credential: reads its household's topics and its region's prices", parameters: [id('id')], responses: { 201: ok(IssuedCredential, 'the credential, shown once') } }),
      },
      '/v1/service-credentials': {
        post: secured('admin', { summary: 'Issue a subscribe-only MQTT credential for a back-office service', requestBody: requestBody(createServiceCredentialSchema), responses: { 201: ok(IssuedCredential, 'the credential, shown once') } }),
      },
      '/v1/service-credentials/{id}/revoke': { post: secured('admin', { summary: 'Revoke a service or display credential', parameters: [id('id')], responses: { 200: ok(Revoked, 'revoked') } }) },
      '/v1/api-keys': {
        post: secured('admin', { summary: 'Issue an API key (shown once)', requestBody: requestBody(createApiKeySchema), responses: { 201: ok(IssuedApiKey, 'the key, shown once') } }),
        get: secured('admin', { summary: 'API keys issued (never their secret), revoked ones with their time', parameters: query(listQuerySchema), responses: { 200: list(pages.apiKey) } }),
      },
      '/v1/api-keys/{id}/revoke': { post: secured('admin', { summary: 'Revoke an API key at once', parameters: [id('id')], responses: { 200: ok(Revoked, 'revoked'), 404: problem } }) },
      '/health': { get: { summary: 'Readiness of every dependency (503 when one is down)', responses: { 200: { description: 'ready' }, 503: { description: 'degraded' } } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text exposition format' } } } },
      '/openapi.json': { get: { summary: 'This document (Swagger UI at /docs)', responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } } },
    },
  };
}
