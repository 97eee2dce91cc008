import { z } from 'zod';
import { forecastPayloadSchema, pricePayloadSchema } from '@wattline/contracts';
import { createApiKeySchema, createMeterSchema, createRegionSchema, createServiceCredentialSchema, declareEventSchema, putPricingSchema, simulationSchema, uploadPricesSchema } from '../dtos/schemas';

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
const output = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
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
  // The role the route requires (an analyst key reads, an admin key also changes): tools and the API-surface test read it.
  'x-wattline-role': role,
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
        // The MQTT payloads' own schemas (libs/contracts), so the document cannot drift from what displays receive.
        Price: { ...output(pricePayloadSchema), description: 'A price as announced on prices/{regionId}/current (tariff lists add feedInPrice)' },
        Forecast: { ...output(forecastPayloadSchema), description: 'The schedule as announced on prices/{regionId}/forecast' },
        Explanation: {
          type: 'object',
          properties: {
            price: { $ref: '#/components/schemas/Price' },
            inputs: { type: ['object', 'null'], description: 'forecast demand and supply and its method, wholesale or scheduled price, event, previous price, time zone' },
            parameters: { type: ['object', 'null'], description: 'the pricing version it was computed under' },
            modelVersion: { type: 'integer' },
            computation: { type: ['object', 'null'], properties: { rawPriceExTax: { type: 'string' }, utilisation: { type: ['number', 'null'] }, band: { type: ['string', 'null'] }, constrainedBy: { type: 'array', items: { enum: ['floor', 'cap', 'ramp'] } } } },
            recomputed: { type: ['object', 'null'], properties: { price: { type: 'string' }, priceExTax: { type: 'string' }, tax: { type: 'string' }, level: { type: 'integer' } } },
            matches: { type: 'boolean' },
            measured: { type: ['object', 'null'], properties: { demandWh: { type: 'number' }, supplyWh: { type: 'number' }, utilisation: { type: ['number', 'null'] }, levelWouldHaveBeen: { type: ['integer', 'null'] }, demandErrorWh: { type: ['number', 'null'] } } },
          },
        },
        ForecastVersusActual: {
          type: 'object',
          properties: {
            intervalStart: { type: 'string', format: 'date-time' }, intervalEnd: { type: 'string', format: 'date-time' }, forecastDemandWh: { type: 'number' }, forecastSupplyWh: { type: 'number' },
            method: { type: 'string' }, madeAt: { type: 'string', format: 'date-time' }, actualDemandWh: { type: ['number', 'null'] }, actualSupplyWh: { type: ['number', 'null'] },
            closed: { type: 'boolean' }, demandErrorWh: { type: ['number', 'null'] }, demandErrorPct: { type: ['number', 'null'] },
          },
        },
        PricingVersion: { type: 'object', properties: { version: { type: 'integer' }, effectiveFrom: { type: ['string', 'null'], format: 'date-time' }, pricing: { type: 'object' }, createdAt: { type: 'string', format: 'date-time' } } },
        PeakEvent: { type: 'object', properties: { id: { type: 'string', format: 'uuid' }, regionId: { type: 'string' }, start: { type: 'string', format: 'date-time' }, end: { type: 'string', format: 'date-time' }, level: { enum: [4, 5] }, reason: { type: 'string' }, declaredAt: { type: 'string', format: 'date-time' } } },
        Upload: { type: 'object', properties: { stored: { type: 'integer' }, from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' } } },
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
        HouseholdBill: {
          type: 'object',
          description: "one household's bill over the window, without its lines",
          properties: {
            meterId: { type: 'string' }, cohort: { type: ['string', 'null'] }, currency: { type: 'string' }, consumptionWh: { type: 'number' }, generationWh: { type: 'number' },
            energyCharge: { type: 'string' }, standingCharge: { type: 'string' }, tax: { type: 'string' }, exportCredit: { type: 'string' }, total: { type: 'string' }, fallbackWh: { type: 'number' },
            shadowTotal: { type: ['string', 'null'], description: 'the same energy under the flat reference tariff' }, shadowDifference: { type: ['string', 'null'] },
            protectionRefund: { type: ['string', 'null'] }, due: { type: 'string' },
          },
        },
        Bill: {
          type: 'object',
          properties: {
            meterId: { type: 'string' }, from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' }, currency: { type: 'string' }, timezone: { type: 'string' },
            groupBy: { enum: ['interval', 'hour', 'day', 'week', 'month'] }, consumptionWh: { type: 'number' }, generationWh: { type: 'number' },
            energyCharge: { type: 'string' }, standingCharge: { type: 'string' }, tax: { type: 'string' }, exportCredit: { type: 'string' }, total: { type: 'string' },
            fallbackWh: { type: 'number', description: 'energy billed at the fallback rate (no firm price was announced for its interval)' },
            shadow: { type: ['object', 'null'], properties: { total: { type: 'string' }, difference: { type: 'string' } } },
            protection: { type: ['object', 'null'], properties: { capPerYear: { type: 'string' }, usedBefore: { type: 'string' }, refund: { type: 'string' }, usedAfter: { type: 'string' }, remaining: { type: 'string' } } },
            due: { type: 'string' },
            groups: { type: 'array', items: { type: 'object' } },
            intervals: { type: 'array', items: { type: 'object' } },
          },
        },
      },
    },
    paths: {
      '/v1/regions': {
        post: secured('admin', { summary: 'Create a region with its currency and pricing model', requestBody: { required: true, content: json(createRegionSchema) }, responses: { 201: ok('Region'), 409: problem } }),
        get: secured('analyst', { summary: 'List regions', parameters: paging, responses: { 200: list('Region') } }),
      },
      '/v1/regions/{id}': { get: secured('analyst', { summary: 'A region', parameters: [id('id')], responses: { 200: ok('Region') } }) },
      '/v1/regions/{id}/bills': { get: secured('analyst', { summary: "Every household's bill over a window (a page of meters at a time), against the shadow bill", parameters: [id('id'), ...range], responses: { 200: list('HouseholdBill') } }) },
      '/v1/regions/{id}/aggregates': { get: secured('analyst', { summary: 'Demand, supply, meters reporting and late readings per interval', parameters: [id('id'), ...range], responses: { 200: list('Aggregate') } }) },
      '/v1/regions/{id}/revisions': { get: secured('analyst', { summary: 'Revisions of priced intervals by late readings: version, deltas, who and when', parameters: [id('id'), ...range], responses: { 200: list('Revision') } }) },
      '/v1/regions/{id}/tariffs': { get: secured('analyst', { summary: 'Firm prices as announced (day-ahead or intraday), by interval', parameters: [id('id'), ...range], responses: { 200: list('Price') } }) },
      '/v1/regions/{id}/tariffs/current': { get: secured('analyst', { summary: 'What prices/{id}/current carries now: the firm price in force, or the fallback (basis "fallback")', parameters: [id('id')], responses: { 200: ok('Price') } }) },
      '/v1/regions/{id}/tariffs/{intervalStart}/explain': {
        get: secured('analyst', {
          summary: "A firm price's inputs, parameters and model version, a recomputation that matches, and ex post the measured utilisation and the level it would have had",
          parameters: [id('id'), { name: 'intervalStart', in: 'path', required: true, schema: { type: 'string', format: 'date-time' } }],
          responses: { 200: ok('Explanation') },
        }),
      },
      '/v1/regions/{id}/forecast': { get: secured('analyst', { summary: 'Forecast demand and supply per interval beside the actuals, with the error', parameters: [id('id'), ...range], responses: { 200: list('ForecastVersusActual') } }) },
      '/v1/regions/{id}/simulations': {
        post: secured('analyst', {
          summary: 'What-if: re-price a stored window from the inputs its prices were computed with, under other parameters; each household’s cost at both; nothing published changes',
          parameters: [id('id')],
          requestBody: { required: true, content: json(simulationSchema) },
          responses: { 200: { description: 'per interval the published and simulated price and level; per household the cost at both, the change and its percentage', content: { 'application/json': { schema: { type: 'object', properties: { intervals: { type: 'array', items: { type: 'object' } }, households: { type: 'array', items: { type: 'object' } }, skipped: { type: 'integer' } } } } } } },
        }),
      },
      '/v1/regions/{id}/response': {
        get: secured('analyst', {
          summary: "Did the tariff work? Mean consumption per household and interval at each price level: the dynamic-tariff meters against the `control` cohort, each level's ratio against the baseline level's",
          parameters: [id('id'), ...range.slice(0, 2), { name: 'control', in: 'query', schema: { type: 'string', default: 'control' }, description: 'the cohort on the flat tariff' }],
          responses: {
            200: {
              description: 'per level: treatment and control (meters, meter-intervals, mean Wh), ratio, effect in percent against the baseline level',
              content: { 'application/json': { schema: { type: 'object', properties: { regionId: { type: 'string' }, control: { type: 'string' }, baselineLevel: { type: ['integer', 'null'] }, baselineRatio: { type: ['number', 'null'] }, levels: { type: 'array', items: { type: 'object' } } } } } },
            },
          },
        }),
      },
      '/v1/regions/{id}/pricing': {
        get: secured('analyst', { summary: "The region's pricing versions, oldest first", parameters: [id('id'), ...paging], responses: { 200: list('PricingVersion') } }),
        put: secured('admin', { summary: 'A new pricing model or parameters, effective from an interval start; refused (409) before the end of the last announced price', parameters: [id('id')], requestBody: { required: true, content: json(putPricingSchema) }, responses: { 201: ok('PricingVersion'), 409: problem } }),
      },
      '/v1/regions/{id}/events': {
        post: secured('admin', { summary: 'Declare a critical-peak event; refused (409) past the notice deadline (the cut-off before its day) or over the yearly budget', parameters: [id('id')], requestBody: { required: true, content: json(declareEventSchema) }, responses: { 201: ok('PeakEvent'), 409: problem } }),
        get: secured('analyst', { summary: 'Declared events', parameters: [id('id'), ...range], responses: { 200: list('PeakEvent') } }),
      },
      ...Object.fromEntries(
        (['wholesale-prices', 'schedules'] as const).map((what) => [
          `/v1/regions/{id}/${what}`,
          {
            post: secured('admin', {
              summary: what === 'schedules' ? 'A published price schedule applied as it is (model "schedule")' : 'A wholesale price series for wholesale-indexed pricing',
              description: 'JSON, or text/csv with the columns named by the query (timeColumn, priceColumn, bandColumn; divisor 100 for pence; timeZone of naive times).',
              parameters: [
                id('id'),
                ...['timeColumn', 'priceColumn', 'bandColumn', 'timeZone'].map((name) => ({ name, in: 'query', schema: { type: 'string' } })),
                { name: 'divisor', in: 'query', schema: { type: 'number', default: 1 } },
              ],
              requestBody: { required: true, content: { ...json(uploadPricesSchema), 'text/csv': { schema: { type: 'string' } } } },
              responses: { 201: ok('Upload'), 415: problem },
            }),
          },
        ]),
      ),
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
      '/v1/meters/{id}/bill': {
        get: secured('analyst', {
          summary: 'A bill: consumption at the firm prices (tax apart), export credited at the feed-in price, standing charge, the shadow bill under the flat reference tariff, household protection; per interval or grouped; `Accept: text/csv` for its lines or groups',
          parameters: [id('id'), ...range.slice(0, 2), { name: 'groupBy', in: 'query', schema: { enum: ['interval', 'hour', 'day', 'week', 'month'], default: 'interval' } }],
          responses: { 200: { description: 'the bill', content: { 'application/json': { schema: { $ref: '#/components/schemas/Bill' } }, 'text/csv': { schema: { type: 'string' } } } } },
        }),
      },
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
