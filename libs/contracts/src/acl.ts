import { regionNow, tariffsFrom, type PriceAccess, type RegionPeriod } from '@wattline/domain';
import { filterWithin, mqttTopics, reachesPlatformTopics, topicMatches } from './mqtt-topics';

/**
 * Who is on the other end of an MQTT connection, as established at CONNECT. A household's meter
 * or display carries its `prices` access (its tariff plan), not topics: which tariff's prices it
 * may read is decided at the moment of each SUBSCRIBE and each delivery (`priceFiltersOf`), so a
 * tariff switch takes effect at its interval start on a connection already open.
 */
export type Principal =
  | { kind: 'meter'; meterId: string; regionId: string; prices: PriceAccess; regionPlan?: RegionPeriod[] }
  /** A back-office service or household display: subscribe filters, and (services, granted by an admin) publish filters. */
  | { kind: 'client'; username: string; filters: string[]; publishFilters?: string[]; prices?: PriceAccess }
  | { kind: 'anonymous-display' };

/** The MQTT username a principal authenticated with (null for anonymous). */
export function usernameOf(principal: Principal): string | null {
  switch (principal.kind) {
    case 'meter':
      return principal.meterId;
    case 'client':
      return principal.username;
    case 'anonymous-display':
      return null;
  }
}

/**
 * The price topics a household may read at `wallNow`: those of each tariff it is on now or will
 * be on later (in its region's time) — the default tariff's `prices/{region}/current|forecast`,
 * another's `prices/{region}/{tariff}/#` — and no other tariff's.
 */
export function priceFiltersOf(access: PriceAccess, wallNow: number): string[] {
  return tariffsFrom(access.plan, regionNow(access.clockLead, wallNow)).flatMap((tariff) =>
    tariff === access.defaultTariff
      ? [mqttTopics.currentPrice(access.regionId), mqttTopics.forecast(access.regionId)]
      : [`prices/${access.regionId}/${tariff}/#`],
  );
}

/**
 * The contract's ACL. A meter publishes only its own readings and status, and subscribes
 * only to its own tariff's prices, its own errors and its household's topics. Service and
 * display credentials subscribe within the filters issued with them; a service may publish
 * within the publish filters an admin granted, outside the platform's topics. An anonymous
 * display (ALLOW_ANONYMOUS_DISPLAYS) may only read prices.
 */
export function canPublish(principal: Principal, topic: string): boolean {
  switch (principal.kind) {
    case 'meter':
      return topic === mqttTopics.readings(principal.meterId) || topic === mqttTopics.status(principal.meterId);
    case 'client':
      // Checked again here, whatever was stored: never the platform's own topics, never `$`.
      return !reachesPlatformTopics(topic) && (principal.publishFilters ?? []).some((filter) => topicMatches(filter, topic));
    case 'anonymous-display':
      return false;
  }
}

/** What a principal may subscribe to at `wallNow`. */
export function subscribableFilters(principal: Principal, wallNow: number): string[] {
  switch (principal.kind) {
    case 'meter':
      return [...priceFiltersOf(principal.prices, wallNow), mqttTopics.errors(principal.meterId), `households/${principal.meterId}/#`];
    case 'client':
      return principal.prices ? [...priceFiltersOf(principal.prices, wallNow), ...principal.filters] : principal.filters;
    case 'anonymous-display':
      return ['prices/#'];
  }
}

export function canSubscribe(principal: Principal, filter: string, wallNow: number): boolean {
  return subscribableFilters(principal, wallNow).some((allowed) => filterWithin(filter, allowed));
}

/**
 * Whether a message may still be delivered on a subscription granted earlier. Only a
 * household's price topics change with time: once its tariff switches, the old tariff's
 * prices stop reaching the subscriptions it made before (a new SUBSCRIBE to them is refused).
 * Everything else was decided at SUBSCRIBE.
 */
export function mayReceive(principal: Principal, topic: string, wallNow: number): boolean {
  if (principal.kind === 'anonymous-display' || !principal.prices || !topic.startsWith('prices/')) return true;
  if (priceFiltersOf(principal.prices, wallNow).some((filter) => topicMatches(filter, topic))) return true;
  // A service credential's own filters (a back office reading `prices/#`) are not a household's.
  return principal.kind === 'client' && principal.filters.some((filter) => topicMatches(filter, topic));
}
