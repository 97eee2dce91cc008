// Long on purpose: every response schema of the API in one registry, which the OpenAPI components are generated
// from and the views are typed by; split, the registry would have to be stitched back together.
import { z } from 'zod';
import { moneySchema as money, isoTimeSchema as isoTime, pricePayloadSchema } from '@wattline/contracts';
import { BILL_GROUPINGS, CLIENT_KINDS, DEVICE_KINDS, LEVELS, PRICE_BASES, PRICE_CONSTRAINTS, ROLES } from '@wattline/domain';
import { pricingSchema } from './schemas';

/**
 * Response schemas: what every route answers. The views (views.ts) are typed by them, so the
 * compiler refuses a view that leaves a field out or adds one the schema does not name, and the
 * OpenAPI document's components are generated from this registry (openapi.document.ts): the
 * document, the types and the answers have one source. The e2e tests' REST client validates
 * every answer against the served document.
 */
export const responses = z.registry<{ id: string; description?: string }>();

const nullableTime = isoTime.nullable();
const int = z.number().int();
function named<T extends z.ZodType>(schema: T, id: string, description?: string): T {
  responses.add(schema as z.ZodType, { id, ...(description ? { description } : {}) });
  return schema;
}

export const problemSchema = named(
  z.object({
    type: z.string(),
    title: z.string(),
    status: int,
    detail: z.string().optional(),
    instance: z.string().optional(),
    code: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
  'Problem',
  'RFC 9457 problem details: `detail` says what to fix; `errors` names each field',
);

/** A pricing model and its parameters, as accepted by PUT /v1/regions/{id}/pricing. */
const pricing = named(pricingSchema, 'Pricing', 'a pricing model and its parameters (the model names which fields apply)');

export const regionResponse = named(
  z.object({
    id: z.string(),
    name: z.string(),
    timezone: z.string(),
    currency: z.string(),
    pricing: pricing.meta({ description: "its default tariff's newest pricing" }),
    defaultTariff: z.string().meta({ description: 'announced on prices/{id}/current|forecast; another tariff on prices/{id}/{tariff}/…' }),
    tariffs: z.array(z.string()).optional().meta({ description: 'every tariff it offers (in a single region read)' }),
    createdAt: isoTime,
  }),
  'Region',
);

export const meterResponse = named(
  z.object({
    id: z.string(),
    regionId: z.string(),
    kind: z.enum(DEVICE_KINDS),
    cohort: z.string().nullable().meta({ description: 'the tariff group for the response analysis (e.g. `control` on the flat tariff)' }),
    householdId: z
      .string()
      .nullable()
      .meta({ description: "an inverter's household: the meter whose bill credits its export (null for a meter)" }),
    online: z.boolean(),
    statusSince: nullableTime,
    lastReadingAt: nullableTime,
    createdAt: isoTime,
    revokedAt: nullableTime,
    tariff: z.string().nullable().optional().meta({
      description:
        "the household's tariff now, in its region's time (null for an inverter: it is on its household's); in a single meter's read",
    }),
    tariffPlan: z
      .array(z.object({ tariff: z.string(), from: nullableTime.meta({ description: 'null: since provisioning' }) }))
      .optional()
      .meta({ description: 'every tariff it has been or will be on, from when' }),
    regionPlan: z
      .array(z.object({ regionId: z.string(), from: nullableTime.meta({ description: 'null: since provisioning' }) }))
      .optional()
      .meta({
        description:
          "every region the household has been or will be in, from when (its readings count in each in turn); in a single meter's read",
      }),
    cohortPlan: z
      .array(z.object({ cohort: z.string().nullable(), from: nullableTime.meta({ description: 'null: since provisioning' }) }))
      .optional()
      .meta({
        description:
          "every cohort it has been or will be in, from when (the response analysis reads each interval's); in a single meter's read",
      }),
  }),
  'Meter',
);

export const provisionedMeterResponse = named(
  meterResponse.extend({
    mqtt: z.object({
      clientId: z.string(),
      username: z.string(),
      password: z.string().meta({ description: 'shown once; stored only as a hash' }),
      topics: z.object({ publishReadings: z.string(), errors: z.string(), status: z.string(), currentPrice: z.string() }),
    }),
  }),
  'ProvisionedMeter',
  'a new device and its MQTT credentials (the password is shown once)',
);

export const readingResponse = named(
  z.object({
    ts: isoTime,
    periodS: int,
    consumptionWh: z.number(),
    generationWh: z.number(),
    seq: int.nullable(),
    receivedAt: isoTime,
    late: z.boolean(),
  }),
  'Reading',
);

export const aggregateResponse = named(
  z.object({
    regionId: z.string(),
    intervalStart: isoTime,
    intervalEnd: isoTime,
    demandWh: z.number(),
    supplyWh: z.number(),
    readings: int,
    metersReporting: int,
    lateReadings: int,
    closed: z.boolean(),
    closedAt: nullableTime,
    version: int.meta({ description: '1, plus one per revision by late readings' }),
    measuredUtilisation: z.number().nullable().meta({ description: 'once closed: demand over the region capacity (critical-peak-5)' }),
    expostLevel: int.nullable().meta({ description: 'once closed: the level the measured utilisation would have set' }),
  }),
  'Aggregate',
);

export const revisionResponse = named(
  z.object({
    regionId: z.string(),
    intervalStart: isoTime,
    version: int,
    demandDeltaWh: z.number(),
    supplyDeltaWh: z.number(),
    readingsDelta: int,
    reason: z.string(),
    revisedBy: z.string(),
    revisedAt: isoTime,
  }),
  'Revision',
);

export const priceResponse = named(pricePayloadSchema, 'Price', 'a price as announced on prices/{regionId}/current (the MQTT payload)');

export const tariffResponse = named(
  pricePayloadSchema.extend({ feedInPrice: money }),
  'Tariff',
  'a firm price as announced, with the feed-in price paid for export in its interval',
);

const level = int.min(Math.min(...LEVELS)).max(Math.max(...LEVELS));

export const explanationResponse = named(
  z.object({
    price: tariffResponse,
    inputs: z
      .object({
        forecastDemandWh: z.number().nullable(),
        forecastSupplyWh: z.number().nullable(),
        forecastMethod: z.string().nullable(),
        wholesalePrice: money.nullable(),
        scheduledPrice: z.object({ price: money, band: z.string().nullable() }).nullable(),
        event: z.object({ id: z.string(), level }).nullable(),
        previousPriceExTax: money.nullable(),
        timeZone: z.string(),
      })
      .nullable(),
    parameters: pricing.nullable().meta({ description: 'the pricing version it was computed under' }),
    modelVersion: int,
    computation: z
      .object({
        rawPriceExTax: money,
        modelLevel: level.meta({
          description: "the model's level before ramp, cap and floor; the price's `level` is that of the price charged",
        }),
        utilisation: z.number().nullable(),
        band: z.string().nullable(),
        constrainedBy: z.array(z.enum(PRICE_CONSTRAINTS)),
      })
      .nullable(),
    recomputed: z.object({ price: money, priceExTax: money, tax: money, level }).nullable(),
    matches: z.boolean(),
    measured: z
      .object({
        demandWh: z.number(),
        supplyWh: z.number(),
        utilisation: z.number().nullable(),
        levelWouldHaveBeen: level.nullable(),
        demandErrorWh: z.number().nullable(),
      })
      .nullable(),
  }),
  'Explanation',
  "a firm price's inputs, parameters and model version, a recomputation, and ex post what was measured",
);

export const forecastResponse = named(
  z.object({
    intervalStart: isoTime,
    intervalEnd: isoTime,
    forecastDemandWh: z.number(),
    forecastSupplyWh: z.number(),
    method: z.string(),
    madeAt: isoTime,
    actualDemandWh: z.number().nullable(),
    actualSupplyWh: z.number().nullable(),
    closed: z.boolean(),
    demandErrorWh: z.number().nullable(),
    demandErrorPct: z.number().nullable(),
  }),
  'ForecastVersusActual',
);

export const pricingVersionResponse = named(
  z.object({
    tariff: z.string(),
    version: int,
    effectiveFrom: nullableTime.meta({ description: 'null: from the beginning' }),
    pricing,
    createdAt: isoTime,
  }),
  'PricingVersion',
);

export const eventResponse = named(
  z.object({
    id: z.uuid(),
    regionId: z.string(),
    start: isoTime,
    end: isoTime,
    level: z.union([z.literal(4), z.literal(5)]),
    reason: z.string(),
    declaredAt: isoTime,
  }),
  'PeakEvent',
);

export const uploadResponse = named(
  z.object({ stored: int, from: isoTime, to: isoTime }),
  'Upload',
  'how many interval prices were stored, and the span they cover',
);

export const apiKeyResponse = named(
  z.object({
    id: z.uuid(),
    name: z.string(),
    role: z.enum(ROLES),
    createdAt: isoTime,
    revokedAt: nullableTime,
    regions: z.array(z.string()).nullable().meta({ description: 'the regions it may read; null: every region' }),
  }),
  'ApiKey',
  'an API key as listed: never its secret',
);

export const issuedApiKeyResponse = named(
  apiKeyResponse.omit({ revokedAt: true }).extend({ key: z.string().meta({ description: 'the secret, shown once' }) }),
  'IssuedApiKey',
);

export const provisionedMetersResponse = named(
  z.object({
    meters: z.array(
      z.object({
        id: z.string(),
        regionId: z.string(),
        kind: z.enum(DEVICE_KINDS),
        tariff: z.string().nullable(),
        cohort: z.string().nullable(),
        householdId: z.string().nullable(),
        clientId: z.string(),
        username: z.string(),
        password: z.string().meta({ description: 'shown once; stored only as a hash' }),
      }),
    ),
  }),
  'ProvisionedMeters',
  'devices provisioned at once and their MQTT credentials (shown once); `Accept: text/csv` for a file with one device a line',
);

export const meterSecretResponse = named(
  z.object({
    id: z.string(),
    mqtt: z.object({
      clientId: z.string(),
      username: z.string(),
      password: z.string().meta({ description: 'the new secret, shown once; stored only as a hash' }),
    }),
    previousSecretValidUntil: nullableTime.meta({
      description: 'until when the secret before still opens (SECRET_ROTATION_GRACE_SECONDS); null: it no longer does',
    }),
  }),
  'MeterSecret',
  'a device’s new MQTT secret, shown once',
);

export const seqResetResponse = named(
  z.object({
    id: z.string(),
    resetAt: isoTime,
    seqsReleased: int.meta({ description: 'the numbers the meter had claimed, released: new readings with them count again' }),
  }),
  'SeqReset',
);

export const decommissionedResponse = named(z.object({ id: z.string(), decommissionedAt: isoTime }), 'Decommissioned');

export const revokedResponse = named(z.object({ id: z.string(), revokedAt: isoTime }), 'Revoked');

export const issuedCredentialResponse = named(
  z.object({
    id: z.string(),
    kind: z.enum(CLIENT_KINDS),
    name: z.string(),
    meterId: z.string().nullable(),
    subscribe: z.array(z.string()),
    publish: z.array(z.string()),
    createdAt: isoTime,
    mqtt: z.object({
      username: z.string(),
      password: z.string(),
      clientIdPrefix: z.string().meta({ description: 'a client id must be the username or start with this' }),
    }),
  }),
  'IssuedCredential',
  'an MQTT credential for a back-office service or a household display (the password is shown once)',
);

export const octopusRatesResponse = named(
  z.object({
    count: int,
    next: z.url().nullable(),
    previous: z.url().nullable(),
    results: z.array(
      z.object({ value_exc_vat: z.number(), value_inc_vat: z.number(), valid_from: isoTime, valid_to: isoTime, payment_method: z.null() }),
    ),
  }),
  'OctopusRates',
  "Octopus Energy's public API shape for unit rates: values in the currency's minor unit (×100) per kWh, newest first",
);

const billTotals = {
  consumptionWh: z.number(),
  generationWh: z.number(),
  energyCharge: money.meta({ description: 'consumption at the prices before tax' }),
  standingCharge: money,
  tax: money,
  exportCredit: money.meta({ description: 'exported generation at the feed-in price (subtracted)' }),
  total: money.meta({ description: 'energy + standing + tax − export credit, before protection' }),
  fallbackWh: z.number().meta({ description: 'energy billed at the fallback rate (no firm price was announced for its interval)' }),
};

export const householdBillResponse = named(
  z.object({
    meterId: z.string(),
    cohort: z.string().nullable(),
    currency: z.string(),
    from: isoTime.meta({
      description: "where this account's part of the window starts: the window's start, or the household's move into the region",
    }),
    to: isoTime.meta({ description: "where it ends: the window's end, or the household's revocation or move out of the region" }),
    ...billTotals,
    shadowTotal: money.nullable().meta({ description: 'the same energy under the flat reference tariff' }),
    shadowDifference: money.nullable(),
    protectionRefund: money.nullable(),
    due: money,
  }),
  'HouseholdBill',
  "one household's bill over the window, without its lines",
);

const billLine = z.object({
  intervalStart: isoTime,
  intervalEnd: isoTime,
  consumptionWh: z.number(),
  generationWh: z.number(),
  version: int.optional(),
  revisions: z
    .array(
      z.object({
        version: int,
        consumptionDeltaWh: z.number(),
        generationDeltaWh: z.number(),
        readingsDelta: int,
        reason: z.string(),
        revisedBy: z.string(),
        revisedAt: isoTime,
      }),
    )
    .optional()
    .meta({ description: 'late readings that changed this interval after it was priced' }),
  price: money,
  priceExTax: money,
  feedInPrice: money,
  basis: z.enum(PRICE_BASES),
  energyCharge: money,
  tax: money,
  exportCredit: money,
  cost: money,
  shadowCost: money.nullable(),
});

export const billResponse = named(
  z.object({
    meterId: z.string(),
    from: isoTime,
    to: isoTime,
    currency: z.string(),
    timezone: z.string(),
    groupBy: z.enum(BILL_GROUPINGS),
    ...billTotals,
    shadow: z
      .object({ total: money, difference: money })
      .nullable()
      .meta({ description: 'the same energy under the flat reference tariff' }),
    protection: z
      .object({ capPerYear: money, usedBefore: money, refund: money, usedAfter: money, remaining: money })
      .nullable()
      .meta({ description: 'the yearly cap on what the household pays above the shadow bill' }),
    due: money.meta({ description: 'total − protection refund' }),
    groups: z.array(z.object({ period: z.string(), ...billTotals, shadowTotal: money.nullable(), protectionRefund: money })),
    intervals: z.array(billLine),
  }),
  'Bill',
);

const priceAndLevel = z.object({ price: money, level });

export const simulationResponse = named(
  z.object({
    regionId: z.string(),
    from: isoTime,
    to: isoTime,
    pricing,
    skipped: int.meta({ description: 'published intervals without stored inputs, left out' }),
    intervals: z.array(z.object({ intervalStart: isoTime, published: priceAndLevel, simulated: priceAndLevel.nullable() })),
    households: z.array(
      z.object({
        meterId: z.string(),
        consumptionWh: z.number(),
        generationWh: z.number(),
        publishedCost: money,
        simulatedCost: money,
        change: money,
        changePct: z.number().nullable(),
      }),
    ),
  }),
  'Simulation',
  'per interval the published and the simulated price; per household the cost at both and the change',
);

const cohortUsage = z.object({ meters: int, meterIntervals: int, meanWh: z.number() }).nullable();
const bound = z.number().nullable();

export const responseAnalysisResponse = named(
  z.object({
    regionId: z.string(),
    from: isoTime,
    to: isoTime,
    control: z.string(),
    treatment: z.string().nullable().meta({ description: 'the treatment cohort asked for (null: every named cohort but the control)' }),
    tariff: z.string().meta({ description: "the tariff whose price levels band the intervals (the treatment's)" }),
    method: z.string(),
    baselineLevel: level.nullable(),
    households: z.object({ treatment: int, control: int }),
    observations: int.meta({ description: 'household intervals in the regression' }),
    bootstrap: z.object({ replications: int, weights: z.literal('rademacher'), seed: int }),
    levels: z.array(
      z.object({
        level,
        treatment: cohortUsage.meta({ description: 'the treatment households’ mean consumption per interval at this level, as measured' }),
        control: cohortUsage,
        effect: z
          .object({
            wh: z.number().meta({
              description:
                'Wh per household and interval the treatment used more (+) or less (−) at this level than at the baseline level, net of the control group',
            }),
            pct: z
              .number()
              .nullable()
              .meta({ description: 'the effect over the treatment’s counterfactual mean at this level (its mean − wh), %' }),
            ci95Wh: z
              .tuple([bound, bound])
              .meta({ description: 'the wild cluster bootstrap 95 % interval (null: unbounded on that side)' }),
            ci95Pct: z.tuple([bound, bound]),
            se: z.number().meta({ description: 'standard error clustered by household (CR1)' }),
            pValue: z.number().meta({ description: 'bootstrap p-value of no effect' }),
          })
          .nullable()
          .meta({ description: 'null at the baseline level and where a side has no data' }),
      }),
    ),
  }),
  'ResponseAnalysis',
  'did the tariff work: the effect per price level by two-way fixed effects (household and interval), clustered by household, with a wild cluster bootstrap interval; the measured means beside it',
);

/** A page of a list: `{items, nextCursor}`, registered as `<Item>Page`. */
function pageOf<T extends z.ZodType>(item: T) {
  const id = responses.get(item)?.id;
  if (!id) throw new Error('a page is of a registered response schema');
  return named(
    z.object({
      items: z.array(item),
      nextCursor: z.string().nullable().meta({ description: 'pass as `cursor` for the next page; null on the last' }),
    }),
    `${id}Page`,
  );
}

/** Every list's page, by the item it lists. */
export const deadLetterResponse = named(
  z.object({
    id: z.string(),
    stream: z.enum(['readings', 'status', 'tariffs', 'announcements']),
    meterId: z.string().nullable(),
    topic: z.string().meta({ description: 'the MQTT topic it was published to, or the stream topic it came from' }),
    error: z.string(),
    detail: z.string(),
    index: int.nullable().meta({ description: 'its place in a batch of readings' }),
    payload: z.string().meta({ description: 'what could not be processed, as text' }),
    source: z.string().nullable().meta({ description: 'where on the stream it was: topic/partition@offset' }),
    receivedAt: isoTime,
    firstSeenAt: isoTime,
    lastSeenAt: isoTime,
    timesSeen: int.meta({ description: 'sightings: more than 1 when a replay failed the same way again' }),
    replayRequestedAt: nullableTime,
    replayedAt: nullableTime,
    replayOutcome: z.string().nullable().meta({ description: '"republished: N readings", or "refused: why"' }),
  }),
  'DeadLetter',
  'a record that could not be processed, with its reason, kept in PostgreSQL',
);

export const replayRequestedResponse = named(
  z.object({
    requested: z
      .array(z.string())
      .meta({ description: 'letters the aggregator will replay at its next pass (their outcome: GET /v1/dead-letters)' }),
    unknown: z.array(z.string()).meta({ description: 'ids of no dead letter' }),
  }),
  'ReplayRequested',
);

export const regionAlertsResponse = named(
  z.object({
    regionId: z.string(),
    at: isoTime,
    regionTime: nullableTime.meta({ description: "the region's event time (null before its first reading)" }),
    fleet: z.object({
      devices: int,
      online: int,
      silent: int.meta({ description: 'devices that reported and have sent nothing for 4 intervals of the region’s time' }),
      deadLettersLastHour: int,
    }),
    alerts: z.array(
      z.object({
        alert: z.string().meta({ description: 'the alert rule of deploy/prometheus/alerts.yml whose condition holds' }),
        severity: z.enum(['critical', 'warning']),
        tariff: z.string().nullable(),
        summary: z.string(),
      }),
    ),
  }),
  'RegionAlerts',
  "the region's alert conditions now, as the alert rules judge them",
);

export const auditEntryResponse = named(
  z.object({
    id: z.string(),
    keyId: z.string(),
    keyName: z.string(),
    action: z.string().meta({ description: 'what was read: readings, bill, region-bills' }),
    meterId: z.string().nullable(),
    regionId: z.string().nullable(),
    path: z.string(),
    at: isoTime,
  }),
  'AuditEntry',
  'a read of household data through the API: which key, what, whose, when',
);

export const pages = {
  region: pageOf(regionResponse),
  meter: pageOf(meterResponse),
  reading: pageOf(readingResponse),
  aggregate: pageOf(aggregateResponse),
  revision: pageOf(revisionResponse),
  tariff: pageOf(tariffResponse),
  forecast: pageOf(forecastResponse),
  pricingVersion: pageOf(pricingVersionResponse),
  event: pageOf(eventResponse),
  apiKey: pageOf(apiKeyResponse),
  householdBill: pageOf(householdBillResponse),
  deadLetter: pageOf(deadLetterResponse),
  auditEntry: pageOf(auditEntryResponse),
};

export type ProblemResponse = z.output<typeof problemSchema>;
export type RegionResponse = z.output<typeof regionResponse>;
export type MeterResponse = z.output<typeof meterResponse>;
export type ProvisionedMeterResponse = z.output<typeof provisionedMeterResponse>;
export type ReadingResponse = z.output<typeof readingResponse>;
export type AggregateResponse = z.output<typeof aggregateResponse>;
export type RevisionResponse = z.output<typeof revisionResponse>;
export type PriceResponse = z.output<typeof priceResponse>;
export type TariffResponse = z.output<typeof tariffResponse>;
export type ExplanationResponse = z.output<typeof explanationResponse>;
export type ForecastResponse = z.output<typeof forecastResponse>;
export type PricingVersionResponse = z.output<typeof pricingVersionResponse>;
export type EventResponse = z.output<typeof eventResponse>;
export type UploadResponse = z.output<typeof uploadResponse>;
export type ApiKeyResponse = z.output<typeof apiKeyResponse>;
export type IssuedApiKeyResponse = z.output<typeof issuedApiKeyResponse>;
export type RevokedResponse = z.output<typeof revokedResponse>;
export type IssuedCredentialResponse = z.output<typeof issuedCredentialResponse>;
export type OctopusRatesResponse = z.output<typeof octopusRatesResponse>;
export type HouseholdBillResponse = z.output<typeof householdBillResponse>;
export type BillResponse = z.output<typeof billResponse>;
export type SimulationResponse = z.output<typeof simulationResponse>;
export type ResponseAnalysisResponse = z.output<typeof responseAnalysisResponse>;

export const openAdrClientResponse = named(
  z.object({
    clientID: z.string(),
    clientSecret: z.string().meta({ description: 'shown once: traded for an access token at tokenURL (OAuth 2 client credentials)' }),
    name: z.string(),
    role: z.enum(['ven', 'bl']),
    targets: z.array(z.string()).meta({
      description: 'what the client may read: a VEN its tariff’s program (`tariff:{region}/{tariff}`); empty for business logic (all)',
    }),
    programIDs: z.array(z.string()),
    venID: z.string().optional().meta({
      description: 'a VEN’s ven object at /openadr/3/vens/{venID}: its targets are its grant, which business logic may change there',
    }),
    tokenURL: z.string(),
  }),
  'OpenAdrClient',
  'an OpenADR 3 client of the VTN (/openadr/3): its id and secret, shown once',
);
export type RegionAlertsResponse = z.output<typeof regionAlertsResponse>;
export type ProvisionedMetersResponse = z.output<typeof provisionedMetersResponse>;
export type MeterSecretResponse = z.output<typeof meterSecretResponse>;
export type SeqResetResponse = z.output<typeof seqResetResponse>;
export type DecommissionedResponse = z.output<typeof decommissionedResponse>;
export type AuditEntryResponse = z.output<typeof auditEntryResponse>;
export type DeadLetterResponse = z.output<typeof deadLetterResponse>;
export type ReplayRequestedResponse = z.output<typeof replayRequestedResponse>;
export type OpenAdrClientResponse = z.infer<typeof openAdrClientResponse>;

export const priceFeedResponse = named(
  z.array(
    z.object({
      start: isoTime,
      end: isoTime,
      value: z.number().meta({ description: 'currency per kWh' }),
    }),
  ),
  'PriceFeed',
  'the firm prices from the interval in force on, as home energy managers read them (evcc’s custom tariff: `forecast: source: http`)',
);
export type PriceFeedResponse = z.infer<typeof priceFeedResponse>;
