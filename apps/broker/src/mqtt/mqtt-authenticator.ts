import { Inject, Injectable } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import { ID_PATTERN, type Principal } from '@wattline/contracts';
import type { MqttCredential } from '@wattline/domain';
import { CatalogRepository } from '@wattline/persistence';
import { CLOCK, CONFIG, Metrics, safeEqual, sha256, verifySecret, type Clock } from '@wattline/platform';
import { BrokerState } from '../state/broker-state';
import { CREDENTIAL_CACHE_TTL_MS } from '../state/credential-cache';

/** CONNACK return codes of MQTT 3.1.1 [MQTT-3.2.2.3]. */
export const CONNACK = {
  identifierRejected: 2,
  serverUnavailable: 3,
  badUsernameOrPassword: 4,
  notAuthorized: 5,
} as const;

/** While a key is blocked, how often one credential check may still be tried for it. */
const PROBE_INTERVAL_MS = { id: 5000, addressAndId: 1000 } as const;

const THROTTLED = { ok: false, returnCode: CONNACK.notAuthorized, reason: 'throttled after repeated failures' } as const;

export type AuthOutcome = { ok: true; principal: Principal } | { ok: false; returnCode: number; reason: string };

export interface ConnectAttempt {
  clientId: string;
  username?: string;
  password?: Buffer;
  /** Source address, for throttling. */
  address: string;
  /** CN of a client certificate the TLS listener verified against TLS_CA, if any. */
  certificateIdentity?: string | null;
}

/**
 * Decides who is connecting. Order matters for cost: the failure throttle and the credential
 * cache come before the database and argon2, so neither a guessing attack nor a district
 * reconnecting after a power cut turns into one slow hash and one query per attempt.
 */
@Injectable()
export class MqttAuthenticator {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly state: BrokerState,
    private readonly metrics: Metrics,
    @Inject(CONFIG) private readonly config: WattlineConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Credentials revoked or changed in the cache's lifetime, with when this instance learned of it (oldest first). */
  private readonly changed = new Map<string, number>();

  async authenticate(attempt: ConnectAttempt): Promise<AuthOutcome> {
    const { clientId, username, password } = attempt;
    if (attempt.certificateIdentity) return this.byCertificate(attempt.certificateIdentity, attempt);
    if (!username && !password) {
      return this.config.ALLOW_ANONYMOUS_DISPLAYS
        ? { ok: true, principal: { kind: 'anonymous-display' } }
        : { ok: false, returnCode: CONNACK.notAuthorized, reason: 'no credentials' };
    }
    if (!username || !password)
      return { ok: false, returnCode: CONNACK.badUsernameOrPassword, reason: 'username and password go together' };
    if (!ID_PATTERN.test(username)) return { ok: false, returnCode: CONNACK.badUsernameOrPassword, reason: 'malformed username' };
    const secret = password.toString('utf8');
    // One digest of the username and secret: what the credential cache holds and what the throttle remembers.
    const digest = sha256(`${username}\u0000${secret}`);
    // A secret the cache knows gets in at no cost, whoever failed with the same id or from the
    // same address before: the throttle holds the guesser, not the device with the right secret.
    const known = await this.fromCache(clientId, username, digest);
    if (known) return known;
    const idKey = `id:${clientId}`;
    const ipKey = `ip:${attempt.address}`;
    const [[idCount], [ipFailures], failedBefore] = await Promise.all([
      this.state.throttle.charge([idKey]),
      this.state.throttle.counts([ipKey]),
      this.state.throttle.failedRecently(digest),
    ]);
    const idBlocked = idCount > this.config.AUTH_MAX_FAILURES;
    const ipBlocked = ipFailures >= this.config.AUTH_MAX_FAILURES * 20;
    if (idBlocked || ipBlocked) {
      // Past a limit, checks are probes. The same wrong secret as a minute ago is wrong again:
      // refused without a check, and it spends no probe, so a flood repeating one bad credential
      // leaves every probe to the devices arriving with new (right) secrets.
      if (failedBefore) return THROTTLED;
      // An id past its limit: one check per 5 s for it, from any address.
      if (idBlocked && !(await this.state.throttle.takeProbe(idKey, PROBE_INTERVAL_MS.id))) return THROTTLED;
      // An address past its limit: one check a second for each id from it, not one for the whole
      // address, so a guesser behind a NAT spends its own ids' probes and a meter that has never
      // connected, arriving with its right secret, still gets its check. What a flood of fresh
      // ids costs is one indexed lookup and (issued secrets) one SHA-256 each; repeating an id
      // runs into that id's own limit.
      if (!idBlocked && !(await this.state.throttle.takeProbe(`${ipKey}|${idKey}`, PROBE_INTERVAL_MS.addressAndId))) return THROTTLED;
    }
    const outcome = await this.byPassword(clientId, username, secret, digest);
    if (outcome.ok) await this.state.throttle.refund([idKey]);
    else
      await Promise.all([
        this.state.throttle.charge([ipKey]),
        // Only a wrong secret (or an unknown or revoked username) is remembered: a right secret sent with another
        // client id (CONNACK 2) must still get in once the device is fixed.
        ...(outcome.returnCode === CONNACK.badUsernameOrPassword ? [this.state.throttle.rememberFailure(digest)] : []),
      ]);
    return outcome;
  }

  /**
   * Drops a credential from the cache (a revocation, a change of what it may read) and remembers
   * when: an entry verified before that (set by a check that read the catalog just before the
   * change committed, here or on another instance sharing the cache) is not trusted again.
   */
  forget(username: string): Promise<void> {
    const now = this.clock.now();
    this.changed.delete(username); // re-inserted last: the map stays in time order
    this.changed.set(username, now);
    for (const [name, at] of this.changed) {
      if (at > now - CREDENTIAL_CACHE_TTL_MS) break;
      this.changed.delete(name);
    }
    return this.state.credentials.delete(username);
  }

  /**
   * What a credential may do now, read again from the catalog (its reach changed while it is
   * connected); null once it is revoked or gone.
   */
  async principalOf(username: string): Promise<Principal | null> {
    this.metrics.credentialLookups.inc();
    const credential = await this.catalog.findMqttCredential(username);
    return credential && !credential.revoked ? toPrincipal(credential) : null;
  }

  /** A credential verified before and still cached: no database read, no password hash. */
  private async fromCache(clientId: string, username: string, digest: string): Promise<AuthOutcome | null> {
    const cached = await this.state.credentials.get(username);
    if (!cached || !safeEqual(cached.digest, digest)) return null;
    const changedAt = this.changed.get(username);
    if (changedAt !== undefined && !(cached.verifiedAt > changedAt)) return null; // read again from the catalog
    if (cached.validUntil !== undefined && this.clock.now() >= cached.validUntil) return null; // a rotated secret's grace is over
    this.metrics.authCacheHits.inc();
    return this.checkClientId(clientId, cached.principal);
  }

  private async byPassword(clientId: string, username: string, password: string, digest: string): Promise<AuthOutcome> {
    const verifiedAt = this.clock.now();
    this.metrics.credentialLookups.inc();
    const credential = await this.catalog.findMqttCredential(username);
    const current = credential && !credential.revoked && (await verifySecret(credential.passwordHash, password));
    // After a rotation the secret before still opens, until its grace period ends (SECRET_ROTATION_GRACE_SECONDS).
    const previous =
      !current && credential?.kind === 'meter' && !credential.revoked && credential.previous
        ? (await verifySecret(credential.previous.passwordHash, password)) && credential.previous.validUntil
        : false;
    if (!credential || (!current && !previous)) {
      return {
        ok: false,
        returnCode: CONNACK.badUsernameOrPassword,
        reason: credential?.revoked ? 'credential revoked' : 'bad username or password',
      };
    }
    const principal = toPrincipal(credential);
    // An OpenADR client's password is an access token that expires: read each time, never cached.
    if (!(credential.kind === 'client' && credential.clientKind === 'ven'))
      await this.state.credentials.set(username, { digest, principal, verifiedAt, ...(previous ? { validUntil: previous } : {}) });
    return this.checkClientId(clientId, principal);
  }

  private async byCertificate(commonName: string, attempt: ConnectAttempt): Promise<AuthOutcome> {
    if (attempt.username && attempt.username !== commonName) {
      return { ok: false, returnCode: CONNACK.badUsernameOrPassword, reason: 'username differs from the certificate CN' };
    }
    this.metrics.credentialLookups.inc();
    const credential = await this.catalog.findMqttCredential(commonName);
    if (!credential || credential.revoked || credential.kind !== 'meter') {
      return {
        ok: false,
        returnCode: CONNACK.notAuthorized,
        reason: credential?.revoked ? 'credential revoked' : 'certificate CN is not a provisioned device',
      };
    }
    return this.checkClientId(attempt.clientId, toPrincipal(credential));
  }

  /**
   * A device's session is its own: a meter must connect with client id = its id, and a
   * subscribe-only client with its username or `username-…`, so nobody can take over (or be
   * handed the queued messages of) another's session.
   */
  private checkClientId(clientId: string, principal: Principal): AuthOutcome {
    const allowed =
      principal.kind === 'meter'
        ? clientId === principal.meterId
        : principal.kind === 'client'
          ? clientId === principal.username || clientId.startsWith(`${principal.username}-`)
          : true;
    return allowed
      ? { ok: true, principal }
      : { ok: false, returnCode: CONNACK.identifierRejected, reason: 'client id does not belong to this credential' };
  }
}

/**
 * What a credential may do, decided at CONNECT (and cached with it for its TTL). A device's or
 * display's prices go with its household's tariff plan, checked against the clock at each
 * SUBSCRIBE and delivery; a change of plan tells every broker to forget the cached credential
 * and to read it again for the connections it holds (CredentialChangeHook).
 */
function toPrincipal(credential: MqttCredential): Principal {
  if (credential.kind === 'meter')
    return {
      kind: 'meter',
      meterId: credential.id,
      regionId: credential.regionId,
      prices: credential.prices,
      ...(credential.regionPlan ? { regionPlan: credential.regionPlan } : {}),
    };
  return {
    kind: 'client',
    username: credential.id,
    filters: credential.filters,
    publishFilters: credential.publishFilters,
    ...(credential.prices ? { prices: credential.prices } : {}),
  };
}
