/**
 * The MQTT topic grammar of the contract, in one place. Ids are single topic levels:
 * they may not contain '/', '+', '#' or NUL [MQTT-4.7.1-1].
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export const mqttTopics = {
  readings: (meterId: string) => `meters/${meterId}/readings`,
  status: (meterId: string) => `meters/${meterId}/status`,
  errors: (meterId: string) => `meters/${meterId}/errors`,
  /** The price in force of a region's tariff: its default tariff's with no tariff (or null), another's under its code. */
  currentPrice: (regionId: string, tariff?: string | null) =>
    tariff ? `prices/${regionId}/${tariff}/current` : `prices/${regionId}/current`,
  forecast: (regionId: string, tariff?: string | null) =>
    tariff ? `prices/${regionId}/${tariff}/forecast` : `prices/${regionId}/forecast`,
  householdSummary: (meterId: string) => `households/${meterId}/summary`,
  /** Every topic of one household (what its display may read besides its tariff's prices). */
  householdFilter: (meterId: string) => `households/${meterId}/#`,
} as const;

export type MeterTopic = { kind: 'readings'; meterId: string } | { kind: 'status'; meterId: string } | { kind: 'errors'; meterId: string };

/**
 * The platform's own topic trees: only devices (their own topics) and the platform publish
 * there. A service's publish filter must stay outside them, and outside `$`.
 */
export const PLATFORM_TOPIC_ROOTS: readonly string[] = ['meters', 'prices', 'households', 'openadr'];

/** Could `filter` match a platform topic or a `$` topic? (A first level of `+` or `#` could.) */
export function reachesPlatformTopics(filter: string): boolean {
  const first = filter.split('/')[0];
  return first === '+' || first === '#' || first.startsWith('$') || PLATFORM_TOPIC_ROOTS.includes(first);
}

/** Parses `meters/{id}/{readings|status|errors}`; anything else is null. */
export function parseMeterTopic(topic: string): MeterTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 3 || parts[0] !== 'meters' || !ID_PATTERN.test(parts[1])) return null;
  const kind = parts[2];
  if (kind === 'readings' || kind === 'status' || kind === 'errors') return { kind, meterId: parts[1] };
  return null;
}

/** True when `topic` (a concrete topic) matches the MQTT filter `filter` (with + and #). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true; // [MQTT-4.7.1-2] '#' matches the parent level and any below
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * True when every topic the subscription filter could match is inside `allowed`
 * (itself a filter). Used by the ACL: a meter may subscribe to `prices/r1/#` or
 * `prices/r1/current` but not to `prices/+/current` or `#`.
 */
export function filterWithin(filter: string, allowed: string): boolean {
  const f = filter.split('/');
  const a = allowed.split('/');
  for (let i = 0; i < f.length; i++) {
    if (a[i] === '#') return true;
    if (i >= a.length) return false;
    if (f[i] === '#') return false; // the filter reaches further than `allowed` permits
    if (a[i] === '+') continue;
    if (f[i] === '+' || f[i] !== a[i]) return false;
  }
  return f.length === a.length;
}
