/**
 * The closed sets of values the contract names, written once: the domain's types are derived
 * from them, and every schema (the stream records, the REST requests and responses, the MQTT
 * payloads) builds its enums and patterns from them, so a new basis or model is added here
 * and nowhere else.
 */

/** Money as a decimal string, never a float: "0.0399", "-12.5". */
export const MONEY_PATTERN = /^-?\d+(\.\d+)?$/;

/** How a price came to be: announced at the day-ahead cut-off, intraday before its interval, or the fallback rate. */
export const PRICE_BASES = ['day-ahead', 'intraday', 'fallback'] as const;
/** How a region prices ahead: every interval of tomorrow at the cut-off, or the next interval while one runs. */
export const PRICING_MODES = ['day-ahead', 'intraday'] as const;
export const MODEL_NAMES = ['critical-peak-5', 'flat', 'time-of-use', 'wholesale-indexed', 'schedule'] as const;
export const LEVELS = [1, 2, 3, 4, 5] as const;
/** What bounded a price after its model computed it. */
export const PRICE_CONSTRAINTS = ['floor', 'cap', 'ramp'] as const;
export const DAY_TYPES = ['weekday', 'weekend'] as const;
export const BILL_GROUPINGS = ['interval', 'hour', 'day', 'week', 'month'] as const;
export const DEVICE_KINDS = ['meter', 'inverter'] as const;
export const CLIENT_KINDS = ['service', 'display'] as const;
export const ROLES = ['analyst', 'admin'] as const;
export const CONNECTION_STATES = ['online', 'offline'] as const;

export type PriceBasis = (typeof PRICE_BASES)[number];
export type PricingMode = (typeof PRICING_MODES)[number];
export type ModelName = (typeof MODEL_NAMES)[number];
export type Level = (typeof LEVELS)[number];
export type PriceConstraint = (typeof PRICE_CONSTRAINTS)[number];
export type DayType = (typeof DAY_TYPES)[number];
export type BillGroupBy = (typeof BILL_GROUPINGS)[number];
export type DeviceKind = (typeof DEVICE_KINDS)[number];
export type ClientKind = (typeof CLIENT_KINDS)[number];
export type Role = (typeof ROLES)[number];
export type ConnectionState = (typeof CONNECTION_STATES)[number];
