import type { TLSSocket } from 'node:tls';
import type { Aedes, Client } from 'aedes';
import { usernameOf, type Principal } from '@wattline/contracts';
import type { PublishRateLimiter } from './publish-rate-limiter';

/** What the broker attaches to an aedes client. */
export type BrokerClient = Client & {
  principal?: Principal;
  /** Decided in preConnect, answered with the right CONNACK code in authenticate. */
  refusal?: { returnCode: number; reason: string };
  presenceToken?: string;
  rateLimiter?: PublishRateLimiter;
  conn: Client['conn'] & Partial<Pick<TLSSocket, 'authorized' | 'getPeerCertificate' | 'remoteAddress'>>;
  req?: { socket?: { remoteAddress?: string } };
};

/** The aedes instance every hook installs itself on (created once per broker process). */
export const AEDES = Symbol('AEDES');

/** aedes keeps its connected clients in `clients` (aedes.js registerClient); its types omit it. */
export function connectedClients(aedes: Aedes): BrokerClient[] {
  return Object.values((aedes as unknown as { clients: Record<string, BrokerClient> }).clients);
}

/** This instance's connections authenticated as `username` (a meter's, a display's or a service's credential). */
export function connectionsOf(aedes: Aedes, username: string): BrokerClient[] {
  return connectedClients(aedes).filter((client) => client.principal && usernameOf(client.principal) === username);
}

/** Publishes from the platform itself (aedes.publish bypasses authorizePublish) and resolves once routed. */
export function publishFromBroker(aedes: Aedes, packet: { topic: string; payload: Buffer; qos: 0 | 1; retain: boolean }): Promise<void> {
  return new Promise((resolve, reject) =>
    aedes.publish({ cmd: 'publish', dup: false, ...packet }, (error?: Error) => (error ? reject(error) : resolve())),
  );
}

/**
 * For a stream consumer that delivers over MQTT: true when MQTT has closed (shutting down), so
 * the batch is skipped — this instance's own group replays it at the next start. With shared
 * state the group is shared, so it throws instead: left uncommitted for the other instances.
 */
export function closedForDelivery(aedes: Aedes, sharedGroup: boolean): boolean {
  if (!aedes.closed) return false;
  if (sharedGroup) throw new Error('MQTT is closed');
  return true;
}

/**
 * The client certificate of a TLS connection: `trusted` when TLS_CA signed it, with its CN;
 * null when the connection is not TLS or the client presented none.
 */
export function clientCertificate(client: BrokerClient): { trusted: boolean; commonName: string | null } | null {
  const conn = client.conn;
  if (typeof conn.getPeerCertificate !== 'function') return null;
  const certificate = conn.getPeerCertificate();
  if (!certificate || Object.keys(certificate).length === 0) return null;
  const cn = certificate.subject?.CN;
  return { trusted: conn.authorized === true, commonName: typeof cn === 'string' && cn.length > 0 ? cn : null };
}
