import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Aedes, AuthenticateError, PublishPacket } from 'aedes';
import type { WattlineConfig } from '@wattline/config';
import { canPublish, isMeterStatusPayload, mqttTopics, type Principal } from '@wattline/contracts';
import { CLOCK, CONFIG, Metrics, type Clock } from '@wattline/platform';
import { BrokerState } from '../../state/broker-state';
import { AEDES, clientCertificate, type BrokerClient } from '../broker-client';
import { CONNACK, MqttAuthenticator } from '../mqtt-authenticator';
import { PublishRateLimiter } from '../publish-rate-limiter';

/** aedes' `authenticate`: who is connecting (password or TLS certificate), answered with a CONNACK code. */
@Injectable()
export class AuthenticateHook {
  private readonly logger = new Logger('MqttAuthenticate');

  constructor(
    @Inject(AEDES) private readonly aedes: Aedes,
    @Inject(CONFIG) private readonly config: WattlineConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly authenticator: MqttAuthenticator,
    private readonly state: BrokerState,
    private readonly metrics: Metrics,
  ) {
    aedes.authenticate = (client, username, password, done) => {
      this.authenticate(client as BrokerClient, username, password).then(
        (error) => done(error, error === null),
        (error: Error) => {
          this.logger.error(`authentication failed for ${client.id}: ${error.message}`);
          done(Object.assign(new Error('server unavailable'), { returnCode: CONNACK.serverUnavailable }) as AuthenticateError, false);
        },
      );
    };
  }

  private async authenticate(
    client: BrokerClient,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<AuthenticateError | null> {
    const certificate = clientCertificate(client);
    // A certificate TLS_CA did not sign is an impostor's, not an anonymous display's.
    const refusal =
      client.refusal ??
      (certificate && !certificate.trusted ? { returnCode: CONNACK.notAuthorized, reason: 'client certificate not trusted' } : undefined);
    const outcome = refusal
      ? ({ ok: false, ...refusal } as const)
      : await this.authenticator.authenticate({
          clientId: client.id,
          username,
          password,
          address: client.req?.socket?.remoteAddress ?? client.conn.remoteAddress ?? 'unknown',
          certificateIdentity: certificate?.commonName ?? null,
        });
    // aedes keeps the CONNECT's will on `_will` before it asks us (lib/handlers/connect.js init).
    const willRefusal = outcome.ok
      ? refuseWill(outcome.principal, (client as BrokerClient & { _will?: PublishPacket | null })._will)
      : null;
    if (outcome.ok && willRefusal) {
      this.metrics.mqttRefusals.inc({ operation: 'connect', reason: 'will' });
      this.logger.warn(`CONNECT refused for client ${client.id}: ${willRefusal}`);
      return Object.assign(new Error(willRefusal), { returnCode: CONNACK.notAuthorized }) as AuthenticateError;
    }
    if (outcome.ok) {
      client.principal = outcome.principal;
      if (outcome.principal.kind === 'meter') {
        // Claimed before CONNACK, i.e. before aedes takes the session over from an older
        // connection (here or on another instance): that one's disconnect then finds the claim
        // gone and stays silent, instead of racing an "offline" past this "online".
        client.presenceToken = `${this.aedes.id}:${randomUUID()}`;
        await this.state.presence.claim(outcome.principal.meterId, client.presenceToken);
      }
      client.rateLimiter = new PublishRateLimiter(
        this.config.MQTT_MAX_PUBLISH_RATE,
        this.config.MQTT_MAX_PUBLISH_RATE * 10,
        this.clock.now(),
      );
      return null;
    }
    this.metrics.mqttRefusals.inc({ operation: 'connect', reason: outcome.reason });
    this.logger.warn(`CONNECT refused for client ${client.id}: ${outcome.reason}`);
    return Object.assign(new Error(outcome.reason), { returnCode: outcome.returnCode }) as AuthenticateError;
  }
}

/**
 * A will is published later on the client's behalf (by this instance, or by another one when
 * this one dies), so it is authorised now, against the ACL: a meter may leave only a status on
 * its own status topic; a service only on a topic it may publish to; nobody else may leave one.
 */
function refuseWill(principal: Principal, will: PublishPacket | null | undefined): string | null {
  if (!will) return null;
  if (principal.kind === 'client' && canPublish(principal, will.topic)) return null;
  if (principal.kind !== 'meter' || will.topic !== mqttTopics.status(principal.meterId)) return `will on ${will.topic} not authorized`;
  return isMeterStatusPayload(will.payload as Buffer) ? null : 'will payload is not a status';
}
