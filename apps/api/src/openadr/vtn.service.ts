import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { publicBaseUrl, type WattlineConfig } from '@wattline/config';
import {
  OPENADR_BASE_PATH,
  openAdrEvent,
  openAdrProgram,
  openAdrTopics,
  parseEventId,
  parseProgramId,
  programIdOf,
  programTargets,
  type OpenAdrEvent,
  type OpenAdrProgram,
} from '@wattline/contracts';
import { DomainError } from '@wattline/domain';
import {
  Database,
  OpenAdrObjectsRepository,
  OpenAdrRepository,
  TariffsRepository,
  type OpenAdrProgramRow,
  type OpenAdrRole,
} from '@wattline/persistence';
import { CLOCK, CONFIG, generateSecret, hashIssuedSecret, verifySecret, type Clock } from '@wattline/platform';
import { ApiKeyService } from '../services/api-key.service';
import { CatalogService } from '../services/catalog.service';

/** How long an access token from /auth/token lasts. */
export const TOKEN_TTL_SECONDS = 3600;

/** Who is asking the VTN: a VEN sees the programs its targets name; a business-logic client (or a Wattline API key) sees all. */
export interface VtnClient {
  role: OpenAdrRole;
  clientId: string | null;
  targets: string[];
}

export interface Paging {
  skip: number;
  limit: number;
  targets: string[];
}

/**
 * The OpenADR 3.1 VTN over Wattline's own pricing: programs are the tariffs, events the local
 * days with firm prices, both read from what the pricing stored (nothing is priced twice).
 * Clients are enrolled by an admin (`POST /v1/openadr/clients`) and trade their id and secret for
 * a bearer token (OAuth 2 client credentials), which is also their MQTT password.
 */
@Injectable()
export class VtnService {
  constructor(
    private readonly repo: OpenAdrRepository,
    private readonly objects: OpenAdrObjectsRepository,
    private readonly database: Database,
    private readonly tariffs: TariffsRepository,
    private readonly catalog: CatalogService,
    private readonly keys: ApiKeyService,
    @Inject(CONFIG) private readonly config: WattlineConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  get tokenUrl(): string {
    return `${publicBaseUrl(this.config)}${OPENADR_BASE_PATH}/auth/token`;
  }

  /**
   * A VEN for one tariff's program (the region's default unless named), or a business-logic client
   * reading all. A VEN's grant lives on the ven object made with it (venName its name, targets the
   * tariff's), as the definition has business logic grant targets; its MQTT filters follow from it.
   */
  async enrol(body: { name: string; role: OpenAdrRole; regionId?: string; tariff?: string }) {
    let targets: string[] = [];
    let programIds: string[] = [];
    const clientId = `${body.role}_${generateSecret(9)}`;
    const venId = body.role === 'ven' ? randomUUID() : null;
    let filters = [`${openAdrTopics.root}/#`];
    if (body.role === 'ven') {
      if (!body.regionId)
        throw new DomainError('validation_failed', 'regionId: a VEN is enrolled for a region’s tariff', { field: 'regionId' });
      const { ref } = await this.catalog.tariffOf(body.regionId, body.tariff);
      targets = [programTargets(ref)[1]];
      programIds = [programIdOf(ref)];
      filters = openAdrTopics.venFilters(programIds, [venId!]);
    }
    const clientSecret = generateSecret(24);
    const created = await this.database.transaction(async (tx) => {
      const fresh = await this.repo.createClient(
        { clientId, name: body.name, role: body.role, secretHash: hashIssuedSecret(clientSecret), targets, subscribeFilters: filters },
        tx,
      );
      const ven =
        fresh && venId ? await this.objects.createVen({ id: venId, clientId, venName: body.name, targets, attributes: null }, tx) : null;
      if (fresh && venId && !ven) throw new DomainError('conflict', `A ven named ${body.name} exists: names are unique`, { field: 'name' });
      return fresh;
    });
    if (!created) throw new DomainError('conflict', `An OpenADR client named ${body.name} exists: names are unique`, { field: 'name' });
    return {
      clientID: clientId,
      clientSecret,
      name: body.name,
      role: body.role,
      targets,
      programIDs: programIds,
      ...(venId ? { venID: venId } : {}),
      tokenURL: this.tokenUrl,
    };
  }

  /** OAuth 2 client credentials [RFC 6749 §4.4]: a new token replaces the client's previous one. */
  async token(form: Record<string, unknown>) {
    if (form.grant_type !== 'client_credentials')
      throw new DomainError('validation_failed', 'grant_type: must be client_credentials', { field: 'grant_type' });
    const [id, secret] = [form.client_id, form.client_secret];
    if (typeof id !== 'string' || typeof secret !== 'string' || !id || !secret)
      throw new DomainError('validation_failed', 'client_id and client_secret are required', { field: 'client_id' });
    const client = await this.repo.findClient(id);
    if (!client || client.revoked || !(await verifySecret(client.secretHash, secret)))
      throw new DomainError('unauthorized', 'Unknown client or wrong secret');
    const token = `${client.clientId}.${generateSecret(24)}`;
    await this.repo.setToken(client.clientId, hashIssuedSecret(token), this.clock.now() + TOKEN_TTL_SECONDS * 1000);
    return { access_token: token, token_type: 'Bearer' as const, expires_in: TOKEN_TTL_SECONDS };
  }

  /** The client a bearer token (or a Wattline API key: business logic) stands for. */
  async clientOf(bearer: string): Promise<VtnClient> {
    const dot = bearer.indexOf('.');
    if (/^(ven|bl)_/.test(bearer) && dot > 0) {
      const client = await this.repo.findClient(bearer.slice(0, dot));
      const valid =
        client &&
        !client.revoked &&
        client.tokenHash !== null &&
        (client.tokenExpiresAt ?? 0) > this.clock.now() &&
        (await verifySecret(client.tokenHash, bearer));
      if (!valid) throw new DomainError('unauthorized', 'Unknown, expired or replaced access token: fetch one from /auth/token');
      return { role: client.role, clientId: client.clientId, targets: client.targets };
    }
    // A Wattline API key is business logic, which reads every VEN's reports and subscriptions: only a key that
    // reads every region may act as one (a key scoped to regions is not business logic of the whole VTN).
    const key = await this.keys.keyOf(bearer);
    if (key && key.regions === null) return { role: 'bl', clientId: null, targets: [] };
    if (key) throw new DomainError('forbidden', 'An API key scoped to regions is not business logic of the VTN: use an OpenADR client');
    throw new DomainError('unauthorized', 'Unknown access token: fetch one from /auth/token');
  }

  async programs(client: VtnClient, paging: Paging): Promise<OpenAdrProgram[]> {
    const visible = (await this.visiblePrograms(client)).filter((p) => matchesTargets(programTargets(p.ref), paging.targets));
    return visible.slice(paging.skip, paging.skip + paging.limit).map(toProgram);
  }

  async program(client: VtnClient, id: string): Promise<OpenAdrProgram> {
    const ref = parseProgramId(id);
    const found = ref && (await this.visiblePrograms(client)).find((p) => p.ref.regionId === ref.regionId && p.ref.tariff === ref.tariff);
    if (!found) throw new DomainError('not_found', `No program ${id}`);
    return toProgram(found);
  }

  async events(client: VtnClient, paging: Paging & { programId?: string; active: boolean }): Promise<OpenAdrEvent[]> {
    let programs = (await this.visiblePrograms(client)).filter((p) => matchesTargets(programTargets(p.ref), paging.targets));
    if (paging.programId !== undefined) programs = programs.filter((p) => programIdOf(p.ref) === paging.programId);
    const days = await this.repo.eventDays(
      programs.map((p) => p.ref),
      paging,
    );
    const byRef = new Map(programs.map((p) => [programIdOf(p.ref), p]));
    return Promise.all(
      days.map(async (d) =>
        openAdrEvent(
          d.ref,
          d.day,
          d.dayStart,
          await this.tariffs.between(d.ref, d.dayStart, d.dayEnd),
          byRef.get(programIdOf(d.ref))!.pricing,
        ),
      ),
    );
  }

  async event(client: VtnClient, id: string): Promise<OpenAdrEvent> {
    const parsed = parseEventId(id);
    const program =
      parsed &&
      (await this.visiblePrograms(client)).find((p) => p.ref.regionId === parsed.ref.regionId && p.ref.tariff === parsed.ref.tariff);
    const bounds = program && (await this.repo.dayBounds(parsed.ref.regionId, parsed.day));
    const prices = bounds ? await this.tariffs.between(parsed!.ref, bounds.dayStart, bounds.dayEnd) : [];
    if (!bounds || prices.length === 0) throw new DomainError('not_found', `No event ${id}`);
    return openAdrEvent(parsed!.ref, parsed!.day, bounds.dayStart, prices, program.pricing);
  }

  /** The MQTT notifier binding: the broker's URIs; the username is the client id, the password its access token. */
  notifiers() {
    const host = new URL(publicBaseUrl(this.config)).hostname;
    const uris = [
      ...(this.config.MQTT_TLS_PORT ? [`mqtts://${host}:${this.config.MQTT_TLS_PORT}`] : []),
      `mqtt://${host}:${this.config.MQTT_PORT}`,
    ];
    return {
      // Subscriptions with https callbacks (the echo challenge, retries with back-off): VtnObjectsService, WebhookDispatcher.
      WEBHOOK: true,
      MQTT: {
        URIS: uris,
        serialization: 'JSON' as const,
        authentication: { method: 'OAUTH2_BEARER_TOKEN' as const, username: '{clientID}' },
      },
    };
  }

  /** A program's topics, only for a program the client may read. */
  async programTopics(client: VtnClient, id: string, which: 'program' | 'events') {
    await this.program(client, id);
    return { topics: which === 'program' ? openAdrTopics.program(id) : openAdrTopics.programEvents(id) };
  }

  /** A ven object's own events topics: the events its client may read, each notified there too. */
  venEventsTopics(venId: string) {
    return { topics: openAdrTopics.venEvents(venId) };
  }

  /** The all-programs and all-events topics reach every program: business logic only (a VEN's ACL refuses them too). */
  allTopics(client: VtnClient, which: 'programs' | 'events') {
    if (client.role !== 'bl')
      throw new DomainError('forbidden', 'A VEN reads its programs’ own topics: /notifiers/mqtt/topics/programs/{programID}/events');
    return { topics: which === 'programs' ? openAdrTopics.programs : openAdrTopics.events };
  }

  private async visiblePrograms(client: VtnClient): Promise<OpenAdrProgramRow[]> {
    const all = await this.repo.programs();
    return client.role === 'bl' ? all : all.filter((p) => programTargets(p.ref).some((t) => client.targets.includes(t)));
  }
}

/** An object matches a targets filter when it carries one of its targets; no filter matches all. */
function matchesTargets(targets: string[], wanted: string[]): boolean {
  return wanted.length === 0 || wanted.some((t) => targets.includes(t));
}

function toProgram(row: OpenAdrProgramRow): OpenAdrProgram {
  return openAdrProgram({ ref: row.ref, pricing: row.pricing, createdAt: row.createdAt, modifiedAt: row.modifiedAt });
}
