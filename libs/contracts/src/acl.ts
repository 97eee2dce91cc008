import { regionNow, tariffsFrom, type PriceAccess } from '@wattline/domain';
import { filterWithin, mqttTopics, reachesPlatformTopics, topicMatches } from './mqtt-topics';

/** Who is on the other end of an MQTT connection, as established at CONNECT. */
export type Principal =
  /** `priceFilters`: its own tariff's price topics (`priceFiltersOf`). */
  | { kind: 'meter'; meterId: string; regionId: string; priceFilters: string[] }
  /** A back-office service or household display: subscribe filters, and (services, granted by an admin) publish filters. */
  | { kind: 'client'; username: string; filters: string[]; publishFilters?: string[] }
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

export function subscribableFilters(principal: Principal): string[] {
  switch (principal.kind) {
    case 'meter':
      return [...principal.priceFilters, mqttTopics.errors(principal.meterId), `households/${principal.meterId}/#`];
    case 'client':
      return principal.filters;
    case 'anonymous-display':
      return ['prices/#'];
  }
}

export function canSubscribe(principal: Principal, filter: string): boolean {
  return subscribableFilters(principal).some((allowed) => filterWithin(filter, allowed));
}
