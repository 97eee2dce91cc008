import { Inject, Injectable } from '@nestjs/common';
import { DomainError, type ClientCredential, type ClientKind } from '@wattline/domain';
import { mqttTopics, priceFiltersOf } from '@wattline/contracts';
import { CatalogRepository, ReadingsRepository } from '@wattline/persistence';
import type { WattlineConfig } from '@wattline/config';
import { CLOCK, CONFIG, CONTROL_BUS, generateSecret, hashIssuedSecret, type Clock, type ControlBus } from '@wattline/platform';
import { CatalogService } from './catalog.service';

/** Subscribe-only MQTT credentials; a device's secret rotated, its revocation, reinstatement and decommissioning. */
@Injectable()
export class CredentialsService {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly readings: ReadingsRepository,
    private readonly catalogService: CatalogService,
    @Inject(CONTROL_BUS) private readonly control: ControlBus,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: WattlineConfig,
  ) {}

  async issueService(name: string, filters: string[], publishFilters: string[] = []) {
    return this.issue('service', name, null, filters, publishFilters);
  }

  /**
   * A display reads its household's topics and its household's tariff's prices, nothing else:
   * the household filter is stored, the price topics are decided at each CONNECT from the
   * household's tariff (so a change of tariff moves them).
   */
  async issueDisplay(meterId: string) {
    await this.catalogService.getMeter(meterId);
    const issued = await this.issue('display', `display of ${meterId}`, meterId, [mqttTopics.householdFilter(meterId)]);
    // What it may subscribe to now, as a broker decides it at CONNECT.
    const credential = await this.catalog.findMqttCredential(issued.id);
    const prices = credential?.kind === 'client' && credential.prices ? priceFiltersOf(credential.prices, this.clock.now()) : [];
    return { ...issued, subscribe: [...prices, ...issued.subscribe] };
  }

  /**
   * Marks the device revoked and tells every broker at once: they drop it from the credential
   * cache and close its connections (through Redis pub/sub when REDIS_URL is set).
   */
  async revokeMeter(meterId: string) {
    await this.catalogService.getMeter(meterId);
    const at = this.clock.now();
    if (!(await this.catalog.revokeMeter(meterId, at))) throw new DomainError('conflict', `Meter ${meterId} is already revoked`);
    await this.control.publish({ type: 'credential-revoked', username: meterId, at });
    return { id: meterId, revokedAt: new Date(at).toISOString() };
  }

  /** A new secret; the one before opens for the grace period, then no more (brokers re-verify cached entries). */
  async rotateMeterSecret(meterId: string) {
    await this.catalogService.getMeter(meterId);
    const at = this.clock.now();
    const password = generateSecret(24);
    const graceUntil = at + this.config.SECRET_ROTATION_GRACE_SECONDS * 1000;
    if (!(await this.catalog.rotateMeterSecret(meterId, hashIssuedSecret(password), graceUntil, at)))
      throw new DomainError(
        'conflict',
        `Meter ${meterId} is revoked: reinstate it (POST /v1/meters/${meterId}/reinstate) for a new secret`,
      );
    await this.control.publish({ type: 'credential-changed', username: meterId, at });
    return {
      id: meterId,
      mqtt: { clientId: meterId, username: meterId, password },
      previousSecretValidUntil: this.config.SECRET_ROTATION_GRACE_SECONDS > 0 ? new Date(graceUntil).toISOString() : null,
    };
  }

  /** A revoked device back with a new secret; a decommissioned one never. */
  async reinstateMeter(meterId: string) {
    await this.catalogService.getMeter(meterId);
    if (await this.catalog.isDecommissioned(meterId))
      throw new DomainError('conflict', `Meter ${meterId} is decommissioned: provision a new device instead`);
    const at = this.clock.now();
    const password = generateSecret(24);
    if (!(await this.catalog.reinstateMeter(meterId, hashIssuedSecret(password), at)))
      throw new DomainError('conflict', `Meter ${meterId} is not revoked: rotate its secret instead`);
    await this.control.publish({ type: 'credential-changed', username: meterId, at });
    return { id: meterId, mqtt: { clientId: meterId, username: meterId, password }, previousSecretValidUntil: null };
  }

  /** A meter's seq counter restarted: what it claimed is released, so its new readings count; what is stored stays. */
  async resetMeterSeq(meterId: string) {
    await this.catalogService.getMeter(meterId);
    const at = this.clock.now();
    const seqsReleased = await this.readings.releaseSeqs(meterId);
    return { id: meterId, resetAt: new Date(at).toISOString(), seqsReleased };
  }

  /** Retired for good: revoked everywhere at once, its secrets erased, its data kept. */
  async decommissionMeter(meterId: string) {
    await this.catalogService.getMeter(meterId);
    const at = this.clock.now();
    if (!(await this.catalog.decommissionMeter(meterId, at)))
      throw new DomainError('conflict', `Meter ${meterId} is already decommissioned`);
    await this.control.publish({ type: 'credential-revoked', username: meterId, at });
    return { id: meterId, decommissionedAt: new Date(at).toISOString() };
  }

  async revokeClient(id: string) {
    const at = this.clock.now();
    if (!(await this.catalog.revokeClientCredential(id, at))) throw new DomainError('not_found', `No active credential ${id}`);
    await this.control.publish({ type: 'credential-revoked', username: id, at });
    return { id, revokedAt: new Date(at).toISOString() };
  }

  private async issue(kind: ClientKind, name: string, meterId: string | null, filters: string[], publishFilters: string[] = []) {
    const id = `${kind === 'service' ? 'svc' : 'disp'}_${generateSecret(9)}`;
    const password = generateSecret(24);
    const saved: ClientCredential = await this.catalog.createClientCredential({
      id,
      kind,
      name,
      meterId,
      filters,
      publishFilters,
      passwordHash: hashIssuedSecret(password),
    });
    return {
      id: saved.id,
      kind: saved.kind,
      name: saved.name,
      meterId: saved.meterId,
      subscribe: saved.filters,
      publish: saved.publishFilters,
      createdAt: new Date(saved.createdAt).toISOString(),
      // Shown once; a client id must be the username or start with `username-`.
      mqtt: { username: id, password, clientIdPrefix: `${id}-` },
    };
  }
}
