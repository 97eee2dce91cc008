import { Injectable, Logger } from '@nestjs/common';
import { ID_PATTERN, type Principal } from '@wattline/contracts';
import { CatalogRepository } from '@wattline/persistence';
import { sha256, safeEqual, verifyPassword } from '@wattline/platform';

/** CONNACK return codes of MQTT 3.1.1 [MQTT-3.2.2.3]. */
export const CONNACK = {
  identifierRejected: 2,
  serverUnavailable: 3,
  badUsernameOrPassword: 4,
  notAuthorized: 5,
} as const;

export type AuthOutcome = { ok: true; principal: Principal } | { ok: false; returnCode: number; reason: string };

interface CachedCredential {
  passwordDigest: string;
  principal: Principal;
  expiresAt: number;
}

/**
 * Verifies device credentials. argon2id is deliberately slow, so a verified password is
 * remembered (as a SHA-256 digest, never in clear) for a while: a district reconnecting
 * after a power cut costs one hash lookup per device, not one argon2 run and one query.
 */
@Injectable()
export class DeviceAuthenticator {
  private readonly logger = new Logger(DeviceAuthenticator.name);
  private readonly cache = new Map<string, CachedCredential>();
  private readonly ttlMs = 10 * 60_000;
  private readonly maxEntries = 1_000_000;

  constructor(private readonly catalog: CatalogRepository) {}

  async authenticate(clientId: string, username: string | undefined, password: Buffer | undefined, nowMs: number): Promise<AuthOutcome> {
    if (!username || !password) return { ok: false, returnCode: CONNACK.notAuthorized, reason: 'no credentials' };
    if (!ID_PATTERN.test(username)) return { ok: false, returnCode: CONNACK.badUsernameOrPassword, reason: 'malformed username' };
    // A meter's session is its own: another client id could inherit queued messages.
    if (clientId !== username) return { ok: false, returnCode: CONNACK.identifierRejected, reason: 'client id must equal the meter id' };

    const passwordText = password.toString('utf8');
    const digest = sha256(`${username}\u0000${passwordText}`);
    const cached = this.cache.get(username);
    if (cached && cached.expiresAt > nowMs && safeEqual(cached.passwordDigest, digest)) {
      return { ok: true, principal: cached.principal };
    }

    const credential = await this.catalog.findMeterCredential(username);
    if (!credential || credential.revoked || !(await verifyPassword(credential.passwordHash, passwordText))) {
      return { ok: false, returnCode: CONNACK.badUsernameOrPassword, reason: credential?.revoked ? 'revoked' : 'bad username or password' };
    }
    const principal: Principal = { kind: 'meter', meterId: credential.id, regionId: credential.regionId };
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(username, { passwordDigest: digest, principal, expiresAt: nowMs + this.ttlMs });
    return { ok: true, principal };
  }

  /** Forget a device (revocation). */
  invalidate(meterId: string): void {
    this.cache.delete(meterId);
    this.logger.debug(`credential cache entry dropped for ${meterId}`);
  }
}
