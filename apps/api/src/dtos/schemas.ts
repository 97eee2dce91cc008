import { z } from 'zod';
import { ID_PATTERN, reachesPlatformTopics } from '@wattline/contracts';
import { BILL_GROUPINGS, DAY_TYPES, DEVICE_KINDS, DomainError, LEVELS, PRICING_MODES, ROLES, isTariffCode } from '@wattline/domain';

/** Request schemas (Standard Schema, validated by Nest's StandardSchemaValidationPipe). */
const id = z.string().regex(ID_PATTERN, 'must be 1-64 characters: letters, digits, . _ : - (no / + #)');
/** A tariff's code: a topic level of `prices/{region}/{tariff}/…`. */
const tariffCode = z
  .string()
  .refine(isTariffCode, 'must be 1-32 letters, digits, . _ - (not "current" or "forecast": those end a price topic)')
  .meta({ description: "a tariff of the region (default: the region's default tariff)" });
const price = z.string().regex(/^\d{1,6}(\.\d{1,6})?$/, 'must be a decimal string such as "25.5"');
/** The years a price, an event or a window may name: a meter's data and a tariff's future, not the year 1 or 9999. */
export const TIME_BOUNDS = { from: Date.UTC(1970, 0, 1), to: Date.UTC(2200, 0, 1) } as const;
const isoTime = z.iso
  .datetime({ offset: true, message: 'must be an ISO-8601 time with offset' })
  .refine((v) => Date.parse(v) >= TIME_BOUNDS.from && Date.parse(v) < TIME_BOUNDS.to, 'must be a time between 1970 and 2199');
const cohortName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, 'must be 1-40 letters, digits, . _ -');
/** A count in a query, written in decimal digits only ("0x10", "1e3" or " 5" are not read as numbers). */
const queryInt = (fallback: number, min: number, max?: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'must be a whole number in decimal digits, such as 100')
    .default(String(fallback))
    .transform(Number)
    .pipe(max === undefined ? z.number().int().min(min) : z.number().int().min(min).max(max));
const utilisation = z
  .number()
  .gt(0, 'must be a fraction of capacity above 0')
  .max(3, 'must be a fraction of capacity (0.5 for 50 %), at most 3');
/** An IANA time zone this runtime knows (Europe/London, Asia/Tokyo, UTC). */
const timeZone = z
  .string()
  .min(1)
  .max(64)
  .refine((zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone such as Europe/London or Asia/Tokyo');

const signedPrice = z.string().regex(/^-?\d{1,6}(\.\d{1,6})?$/, 'must be a decimal string such as "25.5" or "-0.01"');
const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as JPY');
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time HH:MM such as 16:00');
const level = z.union(LEVELS.map((l) => z.literal(l)));
const fraction = z.string().regex(/^(0(\.\d{1,6})?|1(\.0{1,6})?)$/, 'must be a fraction between 0 and 1 such as "0.05"');

/** What every model takes: mode, cut-off, limits, tax, feed-in and fallback prices. */
const common = {
  currency,
  mode: z.enum(PRICING_MODES).optional(),
  cutoff: clock.optional(),
  floor: signedPrice.optional(),
  cap: signedPrice.optional(),
  maxStep: price.optional(),
  taxRate: fraction.optional(),
  feedInPrice: price.optional(),
  fallbackPrice: price.optional(),
  eventBudget: z.number().int().min(0).max(365).optional(),
  referencePrice: price.optional(),
  standingChargePerDay: price.optional(),
  protectionCapPerYear: price.optional(),
};

const band = z.object({
  name: z.string().min(1).max(40),
  level,
  price: signedPrice,
  from: clock,
  to: clock,
  days: z.array(z.enum(DAY_TYPES)).min(1).optional(),
  months: z.array(z.number().int().min(1).max(12)).min(1).optional(),
});

export const pricingSchema = z
  .discriminatedUnion('model', [
    z.object({
      ...common,
      model: z.literal('critical-peak-5'),
      levelPrices: z.tuple([price, price, price, price, price]),
      capacityKw: z.number().positive(),
      // Fractions of capacity: 0.5 is 50 %. Percentages (50, 70, …) would leave the region at level 1 forever.
      thresholds: z
        .tuple([utilisation, utilisation, utilisation, utilisation])
        .refine((t) => t.every((v, i) => i === 0 || v > t[i - 1]), 'must be ascending'),
    }),
    z.object({ ...common, model: z.literal('flat'), price }),
    z.object({
      ...common,
      model: z.literal('time-of-use'),
      bands: z.array(band).min(1).max(48),
      otherwise: band.pick({ name: true, level: true, price: true }),
    }),
    z.object({
      ...common,
      model: z.literal('wholesale-indexed'),
      multiplier: z.string().regex(/^\d{1,3}(\.\d{1,6})?$/, 'must be a decimal string such as "2.2"'),
      peakAdder: price,
      peakFrom: clock,
      peakTo: clock,
      cap: signedPrice,
    }),
    z.object({ ...common, model: z.literal('schedule'), fallbackPrice: price }),
  ])
  .refine((p) => p.floor === undefined || p.cap === undefined || Number(p.floor) <= Number(p.cap), {
    message: 'floor must not be above cap',
    path: ['floor'],
  });

export const putPricingSchema = z.object({
  effectiveFrom: isoTime,
  pricing: pricingSchema,
  tariff: tariffCode.optional().meta({
    description: "the tariff versioned (default: the region's default); a code the region does not offer yet adds that tariff",
  }),
});
export type PutPricingBody = z.output<typeof putPricingSchema>;

export const simulationSchema = z
  .object({ from: isoTime, to: isoTime, pricing: pricingSchema, tariff: tariffCode.optional() })
  .refine((b) => Date.parse(b.from) < Date.parse(b.to), { message: 'from must be before to', path: ['from'] })
  .refine((b) => Date.parse(b.to) - Date.parse(b.from) <= 92 * 86_400_000, {
    message: 'a simulation covers at most 92 days',
    path: ['to'],
  });
export type SimulationBody = z.output<typeof simulationSchema>;

export const declareEventSchema = z
  .object({
    start: isoTime,
    end: isoTime,
    level: z.union([z.literal(4), z.literal(5)]).default(5),
    reason: z.string().min(1).max(500),
  })
  .refine((e) => Date.parse(e.start) < Date.parse(e.end), { message: 'start must be before end', path: ['start'] })
  .refine((e) => Date.parse(e.end) - Date.parse(e.start) <= 24 * 3_600_000, { message: 'an event lasts at most 24 hours', path: ['end'] });
export type DeclareEventBody = z.output<typeof declareEventSchema>;

/** Uploaded prices per interval (JSON; large series as text/csv). */
export const uploadPricesSchema = z.object({
  prices: z
    .array(z.object({ intervalStart: isoTime, price: signedPrice, band: z.string().max(40).optional() }))
    .min(1)
    .max(50_000)
    .superRefine((prices, ctx) => {
      // An interval given twice is a mistake in the series, refused with both places (one statement could not store both).
      const first = new Map<number, number>();
      prices.forEach((p, i) => {
        const at = Date.parse(p.intervalStart);
        const earlier = first.get(at);
        if (earlier === undefined) first.set(at, i);
        else
          ctx.addIssue({
            code: 'custom',
            path: [i, 'intervalStart'],
            message: `${p.intervalStart} is given twice (first at prices.${earlier})`,
          });
      });
    }),
});
export type UploadPricesBody = z.output<typeof uploadPricesSchema>;

/** How to read a CSV upload: which columns hold the time and price, and what to divide prices by (100 for pence). */
export const csvUploadQuerySchema = z.object({
  timeColumn: z.string().min(1).max(64).default('valid_from'),
  priceColumn: z.string().min(1).max(64).default('price'),
  bandColumn: z.string().min(1).max(64).optional(),
  divisor: z
    .string()
    .regex(/^\d{1,9}(\.\d{1,9})?$/, 'must be a positive decimal number, such as 100')
    .default('1')
    .transform(Number)
    .pipe(z.number().positive()),
  timeZone: timeZone.default('UTC'),
});
export type CsvUploadQuery = z.output<typeof csvUploadQuerySchema>;
/** A schedule is one tariff's: the query also names it. */
export const scheduleUploadQuerySchema = csvUploadQuerySchema.extend({ tariff: tariffCode.optional() });
export type ScheduleUploadQuery = z.output<typeof scheduleUploadQuerySchema>;

/** A read of one tariff's prices (the default tariff's unless named). */
export const tariffQuerySchema = z.object({ tariff: tariffCode.optional() });
export type TariffQuery = z.output<typeof tariffQuerySchema>;

/** A household's move to another tariff of its region, from a future interval start. */
export const changeTariffSchema = z.object({
  tariff: tariffCode,
  effectiveFrom: isoTime.meta({ description: "an interval start after the one running now in the region's time" }),
});
export type ChangeTariffBody = z.output<typeof changeTariffSchema>;

export const moveRegionSchema = z.object({
  regionId: id.meta({ description: 'the region the household moves to (its meter and inverters)' }),
  effectiveFrom: isoTime.meta({
    description: "an interval start after the one running now in the region's time (the region it is in now)",
  }),
  tariff: tariffCode.optional().meta({ description: "its tariff in the new region from the move (default: that region's default tariff)" }),
});
export type MoveRegionBody = z.output<typeof moveRegionSchema>;

export const changeCohortSchema = z.object({
  cohort: cohortName.nullable().meta({ description: 'the cohort from then on (null: none, on neither side of the response analysis)' }),
  effectiveFrom: isoTime.meta({ description: "an interval start after the one running now in the region's time" }),
});
export type ChangeCohortBody = z.output<typeof changeCohortSchema>;

export const createRegionSchema = z.object({
  id,
  name: z.string().min(1).max(200),
  timezone: timeZone.default('UTC'),
  pricing: pricingSchema.optional(),
  tariff: tariffCode.default('dynamic').meta({
    description: 'the code of its default tariff (announced on prices/{id}/current); fixed once created',
  }),
});
export type CreateRegionBody = z.output<typeof createRegionSchema>;

export const createMeterSchema = z
  .object({
    // svc_ and disp_ name subscribe-only credentials: a device may not take such a name.
    id: id.refine((v) => !/^(svc|disp)_/.test(v), 'may not start with svc_ or disp_').optional(),
    regionId: id,
    kind: z.enum(DEVICE_KINDS).default('meter'),
    cohort: cohortName.optional(),
    householdId: id
      .optional()
      .meta({ description: "an inverter's household meter (same region): its export is credited on that meter's bill" }),
    tariff: tariffCode.optional().meta({ description: "the meter's tariff from provisioning (default: the region's default tariff)" }),
  })
  .refine((b) => b.householdId === undefined || b.kind === 'inverter', {
    path: ['householdId'],
    message: 'only an inverter belongs to a household (a meter is one)',
  })
  .refine((b) => b.tariff === undefined || b.kind === 'meter', {
    path: ['tariff'],
    message: "an inverter has no tariff of its own: it is on its household's",
  });
export type CreateMeterBody = z.output<typeof createMeterSchema>;

export const createApiKeySchema = z.object({
  name: z.string().min(1).max(200),
  role: z.enum(ROLES).default('analyst'),
  regions: z.array(id).min(1).max(100).optional().meta({
    description: 'an analyst key scoped to these regions: every other region and its households are not found with it (default: all)',
  }),
});
export type CreateApiKeyBody = z.output<typeof createApiKeySchema>;

export const listQuerySchema = z.object({
  limit: queryInt(100, 1, 10_000),
  cursor: z.string().max(200).optional(),
});

const DAY_MS = 86_400_000;

/**
 * A time window of a read (`from` inclusive, `to` exclusive; default the last 24 hours), at most
 * `maxDays` long: the most a route's work may be asked to cover, documented with the parameter
 * and refused with a 400 that names it (a bill over 0001–9999 ran 141 s and ended in a 500).
 */
function windowQuery<S extends z.ZodRawShape>(maxDays: number, shape: S) {
  const most = Number.isFinite(maxDays) ? `; at most ${maxDays} days before \`to\`` : '';
  return z
    .object({
      from: isoTime.optional().meta({ description: `inclusive, ISO-8601 with offset (default: 24 h before \`to\`${most})` }),
      to: isoTime.optional().meta({
        description: `exclusive (default: now${Number.isFinite(maxDays) ? `, or ${maxDays} days after a \`from\` given alone` : ''})`,
      }),
      ...shape,
    })
    .transform((q) => ({ ...q, maxWindowDays: maxDays }));
}

/** The lists of a region's intervals (aggregates, tariffs, revisions, forecasts): a year a request. */
export const rangeQuerySchema = windowQuery(366, listQuerySchema.shape);
export type RangeQuery = z.output<typeof rangeQuerySchema>;
/** A window of one tariff's prices. */
export const tariffRangeQuerySchema = windowQuery(366, { ...listQuerySchema.shape, tariff: tariffCode.optional() });
export type TariffRangeQuery = z.output<typeof tariffRangeQuerySchema>;
/** A meter's raw readings: a month a request (a minute-level meter sends 44,640 in one). */
export const readingsQuerySchema = windowQuery(31, listQuerySchema.shape);
/** Every household's bill of a region: a quarter a request (each bill reads its year to date). */
export const regionBillsQuerySchema = windowQuery(92, listQuerySchema.shape);
/** Declared events: a few a year, listed over any window. */
export const eventsQuerySchema = windowQuery(Infinity, listQuerySchema.shape);

export const responseQuerySchema = windowQuery(366, {
  control: z.string().min(1).max(40).default('control').meta({ description: 'the cohort on the flat (control) tariff' }),
  treatment: z.string().min(1).max(40).optional().meta({
    description: 'the cohort on the dynamic tariff (default: every named cohort but the control; meters without one are on neither side)',
  }),
  tariff: tariffCode
    .optional()
    .meta({ description: "the treatment's tariff, whose price levels band the intervals (default: the region's default)" }),
  replications: queryInt(999, 99, 9999).meta({ description: 'wild cluster bootstrap replications' }),
  seed: queryInt(1, 0, 2 ** 31 - 1).meta({ description: "the bootstrap's seed: the same data and seed give the same interval" }),
});
export type ResponseQuery = z.output<typeof responseQuerySchema>;

export const billQuerySchema = windowQuery(366, {
  groupBy: z.enum(BILL_GROUPINGS).default('interval'),
});
export type BillQuery = z.output<typeof billQuerySchema>;
export type ListQuery = z.output<typeof listQuerySchema>;

/** One tariff's pricing versions. */
export const tariffListQuerySchema = listQuerySchema.extend({ tariff: tariffCode.optional() });
export type TariffListQuery = z.output<typeof tariffListQuerySchema>;

export const meterListQuerySchema = listQuerySchema.extend({
  regionId: z.string().max(64).optional().meta({ description: "only this region's devices" }),
});
export type MeterListQuery = z.output<typeof meterListQuerySchema>;

/** Octopus Energy's query for unit rates: `period_from`, `period_to`, `page_size` (≤ 1,500) and `page`. */
export const octopusRatesQuerySchema = z
  .object({
    period_from: isoTime.optional(),
    period_to: isoTime.optional(),
    page_size: queryInt(100, 1, 1500),
    page: queryInt(1, 1),
  })
  .refine((q) => !q.period_from || !q.period_to || Date.parse(q.period_from) < Date.parse(q.period_to), {
    message: 'period_from must be before period_to',
    path: ['period_from'],
  });
export type OctopusRatesQuery = z.output<typeof octopusRatesQuerySchema>;

/** Resolves `from` (inclusive) and `to` (exclusive) — by default the last 24 hours; a lone `from` up to the window's maximum after it — refusing a window longer than the maximum. */
export function resolveRange(query: { from?: string; to?: string; maxWindowDays?: number }, nowMs: number): { from: number; to: number } {
  const most = query.maxWindowDays ?? Infinity;
  // A lone `from` reads on from there, as far as the window may go (or to now, if that is sooner).
  const to = query.to ? Date.parse(query.to) : query.from ? Math.min(nowMs, Date.parse(query.from) + most * DAY_MS) : nowMs;
  const from = query.from ? Date.parse(query.from) : to - DAY_MS;
  if (from >= to)
    throw new DomainError('validation_failed', '"from" must be before "to" (from is inclusive, to exclusive)', { field: 'from' });
  if (to - from > most * DAY_MS) {
    const days = Math.ceil((to - from) / DAY_MS);
    throw new DomainError('validation_failed', `this read covers at most ${most} days and ${days} were asked for: narrow "from" and "to"`, {
      field: 'from',
      maxDays: most,
    });
  }
  return { from, to };
}

/** An MQTT topic filter [MQTT-4.7.1]: '+' fills a whole level, '#' only the last. */
const topicFilter = z
  .string()
  .min(1)
  .max(256)
  .refine(
    (f) =>
      f
        .split('/')
        .every(
          (level, i, all) =>
            (level.includes('+') ? level === '+' : true) && (level.includes('#') ? level === '#' && i === all.length - 1 : true),
        ),
    'must be an MQTT topic filter',
  )
  .refine((f) => !f.startsWith('$'), 'may not reach $SYS topics');

export const createServiceCredentialSchema = z.object({
  name: z.string().min(1).max(200),
  subscribe: z.array(topicFilter).min(1).max(50),
  publish: z
    .array(
      topicFilter.refine(
        (f) => !reachesPlatformTopics(f),
        'may not reach meters/, prices/, households/ or $ topics (nor start with + or #)',
      ),
    )
    .max(50)
    .default([]),
});
export type CreateServiceCredentialBody = z.output<typeof createServiceCredentialSchema>;

/** `POST /v1/openadr/clients`: a VEN for one tariff's program (the region's default unless named), or a business-logic client. */
export const createOpenAdrClientSchema = z.object({
  name: z.string().min(1).max(128).meta({ description: 'unique within the VTN (its venName)' }),
  role: z.enum(['ven', 'bl']).default('ven').meta({ description: 'ven: reads its tariff’s program; bl: business logic, reads all' }),
  regionId: id.optional().meta({ description: 'a VEN’s region (required for a VEN)' }),
  tariff: tariffCode.optional(),
});
export type CreateOpenAdrClientBody = z.output<typeof createOpenAdrClientSchema>;

/** `GET /v1/regions/{id}/price-feed`: which tariff, and the import price or the feed-in price. */
export const priceFeedQuerySchema = z.object({
  tariff: tariffCode.optional(),
  kind: z
    .enum(['import', 'export'])
    .default('import')
    .meta({ description: 'import: the price paid (tax included); export: the feed-in price' }),
});
export type PriceFeedQuery = z.output<typeof priceFeedQuerySchema>;

/** The streams dead letters come off (dead_letters.stream). */
export const DEAD_LETTER_STREAMS = ['readings', 'status', 'tariffs', 'announcements'] as const;
export const deadLettersQuerySchema = z.object({
  stream: z.enum(DEAD_LETTER_STREAMS).optional().meta({ description: 'the stream the letter came off' }),
  error: z
    .string()
    .regex(/^[a-z_]{1,64}$/, 'must be an error code such as invalid_energy')
    .optional()
    .meta({ description: 'the reason, e.g. invalid_energy, duplicate_conflict, unparseable' }),
  meterId: id.optional(),
  from: isoTime.optional().meta({ description: 'received at or after (inclusive)' }),
  to: isoTime.optional().meta({ description: 'received before (exclusive)' }),
  ...listQuerySchema.shape,
});
export type DeadLettersQuery = z.output<typeof deadLettersQuerySchema>;

export const replayDeadLettersSchema = z.strictObject({
  ids: z
    .array(z.string().regex(/^[1-9]\d{0,17}$/, 'must be a dead letter id as listed, such as "42"'))
    .min(1)
    .max(1000, 'at most 1000 letters a request'),
});
export type ReplayDeadLettersBody = z.output<typeof replayDeadLettersSchema>;

/** Devices provisioned at once (`POST /v1/meters/bulk`): JSON, or a CSV file with the same fields as columns. */
export const bulkMetersSchema = z.strictObject({
  meters: z.array(createMeterSchema).min(1, 'give at least one device').max(10_000, 'at most 10,000 devices a request; split the file'),
});
export type BulkMetersBody = z.output<typeof bulkMetersSchema>;

export const auditLogQuerySchema = z.object({
  meterId: id.optional().meta({ description: 'reads of this household’s data' }),
  keyId: z.string().min(1).max(64).optional().meta({ description: 'reads made with this key (`admin`: the bootstrap key)' }),
  from: isoTime.optional().meta({ description: 'at or after (inclusive)' }),
  to: isoTime.optional().meta({ description: 'before (exclusive)' }),
  ...listQuerySchema.shape,
});
export type AuditLogQuery = z.output<typeof auditLogQuerySchema>;
