import { Inject, Injectable } from '@nestjs/common';
import { DomainError, type ClientCredential, type ClientKind } from '@wattline/domain';
import { mqttTopics, priceFiltersOf } from '@wattline/contracts';
import { CatalogRepository } from '@wattline/persistence';
import { CLOCK, CONTROL_BUS, generateSecret, hashIssuedSecret, type Clock, type ControlBus } from '@wattline/platform';
import { CatalogService } from './catalog.service';

/** Subscribe-only MQTT credentials, and revocation of any MQTT credential. */
@Injectable()
export class CredentialsService {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly catalogService: CatalogService,
    @Inject(CONTROL_BUS) private readonly control: ControlBus,
    @Inject(CLOCK) private readonly clock: Clock,
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
