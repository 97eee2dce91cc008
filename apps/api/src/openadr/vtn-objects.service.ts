import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  OpenAdrSchemas,
  openAdrObjectNotification,
  openAdrReport,
  openAdrResource,
  openAdrSubscription,
  openAdrTopics,
  openAdrVen,
  programIdOf,
  programTargets,
  type OpenAdrOperation,
} from '@wattline/contracts';
import { DomainError } from '@wattline/domain';
import {
  ControlLogRepository,
  Database,
  OpenAdrObjectsRepository,
  OpenAdrRepository,
  type ObjectOperation,
  type Sql,
} from '@wattline/persistence';
import { CLOCK, type Clock } from '@wattline/platform';
import { VtnService, type Paging, type VtnClient } from './vtn.service';
import { WebhookClient } from './webhook-client';

/** The client id written into objects business logic creates with a Wattline API key (it has no OpenADR client of its own). */
export const API_KEY_CLIENT_ID = 'wattline-api-key';

type Json = Record<string, any>;

/** What a request body must be: the document's own schema, or a 400 naming what is wrong. */
function requireValid(schemas: OpenAdrSchemas, name: string, body: unknown): Json {
  const errors = schemas.errorsOf(name, body);
  if (errors.length > 0) throw new DomainError('validation_failed', `not a ${name} of the OpenADR document: ${errors.join('; ')}`);
  return body as Json;
}

const notFound = (what: string, id: string) => new DomainError('not_found', `No ${what} ${id}`);

/**
 * The objects OpenADR clients write — ven and resource objects, webhook subscriptions, reports —
 * with the definition's object privacy: a VEN reads, changes and deletes only what carries its
 * client id (anything else is a 404, as if it did not exist); business logic reads all. Only
 * business logic writes targets, because targets on a VEN's ven and resource objects are what it
 * is granted: the programs and events it may read, over REST, MQTT and webhooks. Every write
 * enqueues its notification for the subscriptions that may read it, in the write's transaction.
 */
@Injectable()
export class VtnObjectsService {
  constructor(
    private readonly vtn: VtnService,
    private readonly objects: OpenAdrObjectsRepository,
    private readonly clients: OpenAdrRepository,
    private readonly controlLog: ControlLogRepository,
    private readonly database: Database,
    private readonly schemas: OpenAdrSchemas,
    private readonly webhooks: WebhookClient,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Whose objects a client reads: a VEN its own, business logic every client's. */
  private owner(client: VtnClient): string | null {
    return client.role === 'bl' ? null : client.clientId;
  }

  private writer(client: VtnClient): string {
    return client.clientId ?? API_KEY_CLIENT_ID;
  }

  // --- vens ---------------------------------------------------------------------------------

  async vens(client: VtnClient, paging: Paging, venName?: string) {
    const rows = await this.objects.vens({ clientId: this.owner(client), ...paging, venName });
    return rows.map(openAdrVen);
  }

  async ven(client: VtnClient, id: string) {
    const row = await this.objects.ven(id, this.owner(client));
    if (!row) throw notFound('ven', id);
    return openAdrVen(row);
  }

  async createVen(client: VtnClient, body: unknown) {
    const request = requireValid(this.schemas, 'venRequest', body);
    const fields = await this.venFields(client, request, null);
    const created = await this.database.transaction(async (tx) => {
      const row = await this.objects.createVen({ id: randomUUID(), ...fields }, tx);
      if (!row) return null;
      await this.regrant(row.clientId, tx);
      await this.notify(tx, 'CREATE', openAdrVen(row), null, row.clientId);
      return row;
    });
    if (!created) throw new DomainError('conflict', `A ven named ${fields.venName} exists: venName is unique within the VTN`);
    return openAdrVen(created);
  }

  async updateVen(client: VtnClient, id: string, body: unknown) {
    const existing = await this.objects.ven(id, this.owner(client));
    if (!existing) throw notFound('ven', id);
    const request = requireValid(this.schemas, 'venRequest', body);
    const fields = await this.venFields(client, request, existing);
    const updated = await this.database.transaction(async (tx) => {
      const row = await this.objects.updateVen(id, fields, tx);
      if (row === null || row === 'conflict') return row;
      await this.regrant(row.clientId, tx);
      await this.notify(tx, 'UPDATE', openAdrVen(row), null, row.clientId);
      return row;
    });
    if (updated === 'conflict') throw new DomainError('conflict', `A ven named ${fields.venName} exists: venName is unique within the VTN`);
    if (!updated) throw notFound('ven', id);
    return openAdrVen(updated);
  }

  async deleteVen(client: VtnClient, id: string) {
    if (!(await this.objects.ven(id, this.owner(client)))) throw notFound('ven', id);
    const deleted = await this.database.transaction(async (tx) => {
      const row = await this.objects.deleteVen(id, tx);
      if (!row) return null;
      await this.regrant(row.clientId, tx);
      await this.notify(tx, 'DELETE', openAdrVen(row), null, row.clientId);
      return row;
    });
    if (!deleted) throw notFound('ven', id);
    return openAdrVen(deleted);
  }

  /**
   * A VEN writes its own ven object's name and attributes (VEN_VEN_REQUEST) and keeps the targets
   * it was granted; business logic writes a ven for an enrolled VEN client (BL_VEN_REQUEST) with
   * its targets.
   */
  private async venFields(client: VtnClient, request: Json, existing: { clientId: string; targets: string[] } | null) {
    const attributes = (request.attributes as unknown[] | null | undefined) ?? null;
    if (client.role === 'ven') {
      if (request.objectType !== 'VEN_VEN_REQUEST')
        throw new DomainError('forbidden', 'A VEN writes its ven as a VEN_VEN_REQUEST: only business logic grants targets');
      return { clientId: client.clientId!, venName: request.venName as string, targets: existing?.targets ?? [], attributes };
    }
    if (request.objectType !== 'BL_VEN_REQUEST')
      throw new DomainError('validation_failed', 'objectType: business logic writes a ven as a BL_VEN_REQUEST', { field: 'objectType' });
    const clientId = request.clientID as string;
    if (existing && existing.clientId !== clientId)
      throw new DomainError('validation_failed', `clientID: this ven belongs to ${existing.clientId}`, { field: 'clientID' });
    const owner = await this.clients.findClient(clientId);
    if (!owner || owner.role !== 'ven')
      throw new DomainError('validation_failed', `clientID: ${clientId} is not an enrolled VEN (POST /v1/openadr/clients)`, {
        field: 'clientID',
      });
    return { clientId, venName: request.venName as string, targets: (request.targets as string[] | null) ?? [], attributes };
  }

  // --- resources ----------------------------------------------------------------------------

  async resources(client: VtnClient, paging: Paging, filter: { venId?: string; resourceName?: string }) {
    const rows = await this.objects.resources({ clientId: this.owner(client), ...paging, ...filter });
    return rows.map(openAdrResource);
  }

  async resource(client: VtnClient, id: string) {
    const row = await this.objects.resource(id, this.owner(client));
    if (!row) throw notFound('resource', id);
    return openAdrResource(row);
  }

  async createResource(client: VtnClient, body: unknown) {
    const request = requireValid(this.schemas, 'resourceRequest', body);
    const fields = await this.resourceFields(client, request, null);
    const created = await this.database.transaction(async (tx) => {
      const row = await this.objects.createResource({ id: randomUUID(), ...fields }, tx);
      if (!row) return null;
      await this.regrant(row.clientId, tx);
      await this.notify(tx, 'CREATE', openAdrResource(row), null, row.clientId);
      return row;
    });
    if (!created) throw new DomainError('conflict', `A resource named ${fields.resourceName} exists on that ven: names are unique per ven`);
    return openAdrResource(created);
  }

  async updateResource(client: VtnClient, id: string, body: unknown) {
    const existing = await this.objects.resource(id, this.owner(client));
    if (!existing) throw notFound('resource', id);
    const request = requireValid(this.schemas, 'resourceRequest', body);
    const fields = await this.resourceFields(client, request, existing);
    const updated = await this.database.transaction(async (tx) => {
      const row = await this.objects.updateResource(id, fields, tx);
      if (row === null || row === 'conflict') return row;
      await this.regrant(row.clientId, tx);
      await this.notify(tx, 'UPDATE', openAdrResource(row), null, row.clientId);
      return row;
    });
    if (updated === 'conflict') throw new DomainError('conflict', `A resource named ${fields.resourceName} exists on that ven`);
    if (!updated) throw notFound('resource', id);
    return openAdrResource(updated);
  }

  async deleteResource(client: VtnClient, id: string) {
    if (!(await this.objects.resource(id, this.owner(client)))) throw notFound('resource', id);
    const deleted = await this.database.transaction(async (tx) => {
      const row = await this.objects.deleteResource(id, tx);
      if (!row) return null;
      await this.regrant(row.clientId, tx);
      await this.notify(tx, 'DELETE', openAdrResource(row), null, row.clientId);
      return row;
    });
    if (!deleted) throw notFound('resource', id);
    return openAdrResource(deleted);
  }

  private async resourceFields(client: VtnClient, request: Json, existing: { venId: string; targets: string[] } | null) {
    const venId = request.venID as string;
    if (existing && existing.venId !== venId)
      throw new DomainError('validation_failed', `venID: this resource belongs to ven ${existing.venId}`, { field: 'venID' });
    const ven = await this.objects.ven(venId, this.owner(client));
    if (!ven) throw new DomainError('validation_failed', `venID: no ven ${venId} of yours`, { field: 'venID' });
    const attributes = (request.attributes as unknown[] | null | undefined) ?? null;
    if (client.role === 'ven') {
      if (request.objectType !== 'VEN_RESOURCE_REQUEST')
        throw new DomainError('forbidden', 'A VEN writes a resource as a VEN_RESOURCE_REQUEST: only business logic grants targets');
      return { venId, clientId: ven.clientId, resourceName: request.resourceName as string, targets: existing?.targets ?? [], attributes };
    }
    if (request.objectType !== 'BL_RESOURCE_REQUEST')
      throw new DomainError('validation_failed', 'objectType: business logic writes a resource as a BL_RESOURCE_REQUEST', {
        field: 'objectType',
      });
    if (request.clientID !== ven.clientId)
      throw new DomainError('validation_failed', `clientID: ven ${venId} belongs to ${ven.clientId}`, { field: 'clientID' });
    return {
      venId,
      clientId: ven.clientId,
      resourceName: request.resourceName as string,
      targets: (request.targets as string[] | null) ?? [],
      attributes,
    };
  }

  /**
   * What a client's ven and resource objects grant it, written where the VTN reads it: the
   * targets its program and event reads are matched by, and the MQTT filters its ACL allows (its
   * programs' topics and its vens' own); brokers holding its connection re-read it (control log).
   */
  private async regrant(clientId: string, tx: Sql): Promise<void> {
    const targets = await this.objects.grantsOf(clientId, tx);
    const programs = (await this.clients.programs(undefined, tx)).filter((p) => programTargets(p.ref).some((t) => targets.includes(t)));
    const venIds = (await this.objects.vens({ clientId, skip: 0, limit: 1000, targets: [] }, tx)).map((v) => v.id);
    const filters = openAdrTopics.venFilters(
      programs.map((p) => programIdOf(p.ref)),
      venIds,
    );
    await this.objects.setGrant(clientId, targets, filters, tx);
    await this.controlLog.append('credential-changed', [clientId], this.clock.now(), tx);
  }

  // --- subscriptions ------------------------------------------------------------------------

  async subscriptions(client: VtnClient, paging: Paging, filter: { programId?: string; clientName?: string; objects: string[] }) {
    const rows = await this.objects.subscriptions({ clientId: this.owner(client), ...paging, ...filter });
    return rows.map(openAdrSubscription);
  }

  async subscription(client: VtnClient, id: string) {
    const row = await this.objects.subscription(id, this.owner(client));
    if (!row) throw notFound('subscription', id);
    return openAdrSubscription(row);
  }

  async createSubscription(client: VtnClient, body: unknown) {
    const fields = await this.subscriptionFields(client, body, []);
    const row = await this.database.transaction(async (tx) => {
      const created = await this.objects.createSubscription({ id: randomUUID(), clientId: this.writer(client), ...fields }, tx);
      await this.notify(tx, 'CREATE', openAdrSubscription(created), created.programId, created.clientId);
      return created;
    });
    return openAdrSubscription(row);
  }

  async updateSubscription(client: VtnClient, id: string, body: unknown) {
    const existing = await this.objects.subscription(id, this.owner(client));
    if (!existing) throw notFound('subscription', id);
    const fields = await this.subscriptionFields(
      client,
      body,
      existing.objectOperations.map((o) => o.callbackUrl),
    );
    const row = await this.database.transaction(async (tx) => {
      const updated = await this.objects.updateSubscription(id, fields, tx);
      if (updated) await this.notify(tx, 'UPDATE', openAdrSubscription(updated), updated.programId, updated.clientId);
      return updated;
    });
    if (!row) throw notFound('subscription', id);
    return openAdrSubscription(row);
  }

  async deleteSubscription(client: VtnClient, id: string) {
    if (!(await this.objects.subscription(id, this.owner(client)))) throw notFound('subscription', id);
    const row = await this.database.transaction(async (tx) => {
      const deleted = await this.objects.deleteSubscription(id, tx);
      if (deleted) await this.notify(tx, 'DELETE', openAdrSubscription(deleted), deleted.programId, deleted.clientId);
      return deleted;
    });
    if (!row) throw notFound('subscription', id);
    return openAdrSubscription(row);
  }

  /**
   * A subscription as the document has it, whose program the client may read, and whose every
   * callback is https, not on a private network (unless allowed), and answers the definition's
   * echo challenge — each new callback challenged before anything is stored.
   */
  private async subscriptionFields(client: VtnClient, body: unknown, verified: string[]) {
    const request = requireValid(this.schemas, 'subscriptionRequest', body);
    const programId = (request.programID as string | undefined) ?? null;
    if (programId !== null) {
      try {
        await this.vtn.program(client, programId);
      } catch {
        throw new DomainError('validation_failed', `programID: no program ${programId} you may read`, { field: 'programID' });
      }
    }
    const objectOperations = request.objectOperations as ObjectOperation[];
    for (const url of new Set(objectOperations.map((o) => o.callbackUrl))) {
      const refusal = this.webhooks.refusal(url);
      if (refusal) throw new DomainError('validation_failed', `callbackUrl ${url} ${refusal}`, { field: 'callbackUrl' });
      if (verified.includes(url)) continue;
      try {
        await this.webhooks.verify(url);
      } catch (error) {
        throw new DomainError('validation_failed', `callbackUrl ${url} did not pass the echo challenge: ${(error as Error).message}`, {
          field: 'callbackUrl',
        });
      }
    }
    return {
      clientName: request.clientName as string,
      programId,
      objectOperations: objectOperations.map((o) => ({ ...o, bearerToken: o.bearerToken ?? null })),
      targets: (request.targets as string[] | null | undefined) ?? null,
    };
  }

  // --- reports ------------------------------------------------------------------------------

  async reports(client: VtnClient, paging: Paging, filter: { programId?: string; eventId?: string; clientName?: string }) {
    const rows = await this.objects.reports({ clientId: this.owner(client), ...paging, ...filter });
    return rows.map(openAdrReport);
  }

  async report(client: VtnClient, id: string) {
    const row = await this.objects.report(id, this.owner(client));
    if (!row) throw notFound('report', id);
    return openAdrReport(row);
  }

  /** A VEN's report on an event it may read, stored as sent (its usage, its resources' intervals). */
  async createReport(client: VtnClient, body: unknown) {
    const request = requireValid(this.schemas, 'reportRequest', body);
    const event = await this.reportedEvent(client, request.eventID as string);
    const row = await this.database.transaction(async (tx) => {
      const created = await this.objects.createReport(
        {
          id: randomUUID(),
          clientId: this.writer(client),
          clientName: request.clientName as string,
          eventId: event.id,
          programId: event.programID,
          body: request,
        },
        tx,
      );
      await this.notify(tx, 'CREATE', openAdrReport(created), created.programId, created.clientId);
      return created;
    });
    return openAdrReport(row);
  }

  async updateReport(client: VtnClient, id: string, body: unknown) {
    const existing = await this.objects.report(id, this.owner(client));
    if (!existing) throw notFound('report', id);
    const request = requireValid(this.schemas, 'reportRequest', body);
    if (request.eventID !== existing.eventId)
      throw new DomainError('validation_failed', `eventID: this report is on event ${existing.eventId}`, { field: 'eventID' });
    const row = await this.database.transaction(async (tx) => {
      const updated = await this.objects.updateReport(id, { clientName: request.clientName as string, body: request }, tx);
      if (updated) await this.notify(tx, 'UPDATE', openAdrReport(updated), updated.programId, updated.clientId);
      return updated;
    });
    if (!row) throw notFound('report', id);
    return openAdrReport(row);
  }

  async deleteReport(client: VtnClient, id: string) {
    if (!(await this.objects.report(id, this.owner(client)))) throw notFound('report', id);
    const row = await this.database.transaction(async (tx) => {
      const deleted = await this.objects.deleteReport(id, tx);
      if (deleted) await this.notify(tx, 'DELETE', openAdrReport(deleted), deleted.programId, deleted.clientId);
      return deleted;
    });
    if (!row) throw notFound('report', id);
    return openAdrReport(row);
  }

  private async reportedEvent(client: VtnClient, eventId: string) {
    try {
      return await this.vtn.event(client, eventId);
    } catch {
      throw new DomainError('validation_failed', `eventID: no event ${eventId} you may read`, { field: 'eventID' });
    }
  }

  // --- notifications ------------------------------------------------------------------------

  /** A write's notification, owed to the subscriptions that may read the object (business logic's and its owner's). */
  private async notify(
    tx: Sql,
    operation: OpenAdrOperation,
    object: { id: string; objectType: string; modificationDateTime: string; targets?: string[] | null },
    programId: string | null,
    ownerClientId: string,
  ): Promise<void> {
    await this.objects.enqueue(
      {
        objectType: object.objectType,
        operation,
        programId,
        targets: object.targets ?? [],
        ownerClientId,
        notification: openAdrObjectNotification(operation, object),
        dedupeKey: `${object.objectType}:${object.id}:${operation}:${object.modificationDateTime}:${randomUUID()}`,
      },
      tx,
    );
  }
}
