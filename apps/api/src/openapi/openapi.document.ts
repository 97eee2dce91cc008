import { z } from 'zod';
import { createApiKeySchema, createMeterSchema, createRegionSchema, createServiceCredentialSchema } from '../dtos/schemas';

/**
 * The OpenAPI 3.1 document of the REST API. Request bodies come from the same zod schemas
 * the validation pipe enforces, so the document cannot drift from what is accepted.
 */
const json = (schema: z.ZodType) => ({ 'application/json': { schema: z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) } });
const problem = { description: 'RFC 9457 problem', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
const list = (item: string) => ({
  description: `a page of ${item}; \`Accept: text/csv\` for CSV, next page in \`nextCursor\` and the \`Link\` header`,
  content: {
    'application/json': { schema: { type: 'object', properties: { items: { type: 'array', items: { $ref: `#/components/schemas/${item}` } }, nextCursor: { type: ['string', 'null'] } } } },
    'text/csv': { schema: { type: 'string' } },
  },
});
const ok = (ref: string) => ({ description: 'OK', content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const id = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const range = [
  { name: 'from', in: 'query', schema: { type: 'string', format: 'date-time' }, description: 'inclusive, ISO-8601 with offset (default: 24 h before `to`)' },
  { name: 'to', in: 'query', schema: { type: 'string', format: 'date-time' }, description: 'exclusive (default: now)' },
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 10000, default: 100 } },
  { name: 'cursor', in: 'query', schema: { type: 'string' } },
];
const paging = range.slice(2);
const secured = (role: 'admin' | 'analyst', op: Record<string, unknown>) => ({
  ...op,
  security: [{ apiKey: [] }],
  description: `${(op.description as string) ?? ''} Role: ${role}.`.trim(),
  responses: { ...(op.responses as object), 400: problem, 401: problem, 403: problem, 404: problem },
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
      schemas: {
        Problem: {
          type: 'object',
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            code: { type: 'string' },
            errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
          },
        },
        Region: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, timezone: { type: 'string' }, currency: { type: 'string' }, pricing: { type: 'object' }, createdAt: { type: 'string', format: 'date-time' } } },
        Meter: {
          type: 'object',
          properties: {
            id: { type: 'string' }, regionId: { type: 'string' }, kind: { enum: ['meter', 'inverter'] }, online: { type: 'boolean' },
            statusSince: { type: ['string', 'null'], format: 'date-time' }, lastReadingAt: { type: ['string', 'null'], format: 'date-time' },
            createdAt: { type: 'string', format: 'date-time' }, revokedAt: { type: ['string', 'null'], format: 'date-time' },
          },
        },
        Reading: { type: 'object', properties: { ts: { type: 'string', format: 'date-time' }, periodS: { type: 'integer' }, consumptionWh: { type: 'number' }, generationWh: { type: 'number' }, seq: { type: ['integer', 'null'] }, receivedAt: { type: 'string', format: 'date-time' }, late: { type: 'boolean' } } },
        Aggregate: {
          type: 'object',
          properties: {
            regionId: { type: 'string' }, intervalStart: { type: 'string', format: 'date-time' }, intervalEnd: { type: 'string', format: 'date-time' },
            demandWh: { type: 'number' }, supplyWh: { type: 'number' }, readings: { type: 'integer' }, metersReporting: { type: 'integer' },
            lateReadings: { type: 'integer' }, closed: { type: 'boolean' }, closedAt: { type: ['string', 'null'], format: 'date-time' },
            version: { type: 'integer', description: '1, plus one per revision by late readings' },
          },
        },
        Revision: {
          type: 'object',
          properties: {
            regionId: { type: 'string' }, intervalStart: { type: 'string', format: 'date-time' }, version: { type: 'integer' },
            demandDeltaWh: { type: 'number' }, supplyDeltaWh: { type: 'number' }, readingsDelta: { type: 'integer' },
            reason: { type: 'string' }, revisedBy: { type: 'string' }, revisedAt: { type: 'string', format: 'date-time' },
          },
        },
        Price: {
          type: 'object',
          properties: {
            regionId: { type: 'string' }, intervalStart: { type: 'string', format: 'date-time' }, intervalEnd: { type: 'string', format: 'date-time' },
            price: { type: 'string', description: 'decimal, per kWh' }, currency: { type: 'string' }, unit: { const: 'kWh' }, level: { type: 'integer', minimum: 1, maximum: 5 },
            demandWh: { type: 'number' }, supplyWh: { type: 'number' }, model: { type: 'string' }, computedAt: { type: 'string', format: 'date-time' },
          },
        },
        ApiKey: {
          type: 'object',
          properties: { id: { type: 'string', format: 'uuid' }, name: { type: 'string' }, role: { enum: ['admin', 'analyst'] }, createdAt: { type: 'string', format: 'date-time' }, revokedAt: { type: ['string', 'null'], format: 'date-time' } },
        },
        OctopusRates: {
          type: 'object',
          description: "Octopus Energy's public API shape for unit rates; values in the currency's minor unit (×100) per kWh",
          properties: {
            count: { type: 'integer' }, next: { type: ['string', 'null'], format: 'uri' }, previous: { type: ['string', 'null'], format: 'uri' },
            results: {
              type: 'array',
              items: { type: 'object', properties: { value_exc_vat: { type: 'number' }, value_inc_vat: { type: 'number' }, valid_from: { type: 'string', format: 'date-time' }, valid_to: { type: 'string', format: 'date-time' }, payment_method: { type: 'null' } } },
            },
          },
        },
        Bill: { type: 'object', properties: { meterId: { type: 'string' }, currency: { type: 'string' }, consumptionWh: { type: 'number' }, generationWh: { type: 'number' }, cost: { type: 'string' }, unpricedWh: { type: 'number' }, intervals: { type: 'array', items: { type: 'object' } } } },
      },
    },
    paths: {
      '/v1/regions': {
        post: secured('admin', { summary: 'Create a region with its currency and pricing model', requestBody: { required: true, content: json(createRegionSchema) }, responses: { 201: ok('Region'), 409: problem } }),
        get: secured('analyst', { summary: 'List regions', parameters: paging, responses: { 200: list('Region') } }),
      },
      '/v1/regions/{id}': { get: secured('analyst', { summary: 'A region', parameters: [id('id')], responses: { 200: ok('Region') } }) },
      '/v1/regions/{id}/aggregates': { get: secured('analyst', { summary: 'Demand, supply, meters reporting and late readings per interval', parameters: [id('id'), ...range], responses: { 200: list('Aggregate') } }) },
      '/v1/regions/{id}/revisions': { get: secured('analyst', { summary: 'Revisions of priced intervals by late readings: version, deltas, who and when', parameters: [id('id'), ...range], responses: { 200: list('Revision') } }) },
      '/v1/regions/{id}/tariffs': { get: secured('analyst', { summary: 'Published prices', parameters: [id('id'), ...range], responses: { 200: list('Price') } }) },
      '/v1/regions/{id}/tariffs/current': { get: secured('analyst', { summary: 'The latest published price', parameters: [id('id')], responses: { 200: ok('Price') } }) },
      '/v1/products/{regionId}/electricity-tariffs/{code}/standard-unit-rates/': {
        get: {
          summary: "A region's prices as Octopus Energy's API gives unit rates (public; newest first; absolute next/previous URLs)",
          parameters: [
            id('regionId'),
            id('code'),
            { name: 'period_from', in: 'query', schema: { type: 'string', format: 'date-time' } },
            { name: 'period_to', in: 'query', schema: { type: 'string', format: 'date-time' } },
            { name: 'page_size', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1500, default: 100 } },
            { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1, default: 1 } },
          ],
          responses: { 200: ok('OctopusRates'), 400: problem, 404: problem },
        },
      },
      '/v1/meters': {
        post: secured('admin', { summary: 'Provision a meter or inverter; answers its MQTT credentials once', requestBody: { required: true, content: json(createMeterSchema) }, responses: { 201: ok('Meter'), 409: problem } }),
        get: secured('analyst', { summary: 'List meters with online state and last reading time', parameters: [...paging, { name: 'regionId', in: 'query', schema: { type: 'string' } }], responses: { 200: list('Meter') } }),
      },
      '/v1/meters/{id}': { get: secured('analyst', { summary: 'A meter', parameters: [id('id')], responses: { 200: ok('Meter') } }) },
      '/v1/meters/{id}/readings': { get: secured('analyst', { summary: 'Stored readings', parameters: [id('id'), ...range], responses: { 200: list('Reading') } }) },
      '/v1/meters/{id}/bill': { get: secured('analyst', { summary: 'Energy and cost per interval, and totals', parameters: [id('id'), ...range.slice(0, 2)], responses: { 200: ok('Bill') } }) },
      '/v1/meters/{id}/revoke': { post: secured('admin', { summary: 'Revoke a device: every broker drops its cached credential and closes its connections', parameters: [id('id')], responses: { 200: { description: 'revoked' }, 409: problem } }) },
      '/v1/meters/{id}/display-credentials': { post: secured('admin', { summary: "Issue a display's MQTT credential: reads its household's topics and its region's prices", parameters: [id('id')], responses: { 201: { description: 'the credential, shown once' } } }) },
      '/v1/service-credentials': { post: secured('admin', { summary: 'Issue a subscribe-only MQTT credential for a back-office service', requestBody: { required: true, content: json(createServiceCredentialSchema) }, responses: { 201: { description: 'the credential, shown once' } } }) },
      '/v1/service-credentials/{id}/revoke': { post: secured('admin', { summary: 'Revoke a service or display credential', parameters: [id('id')], responses: { 200: { description: 'revoked' } } }) },
      '/v1/api-keys': {
        post: secured('admin', { summary: 'Issue an API key (shown once)', requestBody: { required: true, content: json(createApiKeySchema) }, responses: { 201: { description: 'the key' } } }),
        get: secured('admin', { summary: 'API keys issued (never their secret), revoked ones with their time', parameters: paging, responses: { 200: list('ApiKey') } }),
      },
      '/v1/api-keys/{id}/revoke': { post: secured('admin', { summary: 'Revoke an API key at once', parameters: [id('id')], responses: { 200: { description: 'revoked' }, 404: problem } }) },
      '/health': { get: { summary: 'Readiness of every dependency (503 when one is down)', responses: { 200: { description: 'ready' }, 503: { description: 'degraded' } } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text exposition format' } } } },
    },
  };
}
