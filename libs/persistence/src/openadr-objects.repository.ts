import type { DataSource } from 'typeorm';
import { returnedRows } from './rows';
import type { Sql } from './sql';

/** What every object the clients create carries besides its own fields. */
interface ObjectRow {
  id: string;
  createdAt: number;
  modifiedAt: number;
}

export interface OpenAdrVenRow extends ObjectRow {
  clientId: string;
  venName: string;
  targets: string[];
  attributes: unknown[] | null;
}

export interface OpenAdrResourceRow extends ObjectRow {
  venId: string;
  clientId: string;
  resourceName: string;
  targets: string[];
  attributes: unknown[] | null;
}

/** One entry of a subscription: which objects, which operations, where to call and with which bearer token. */
export interface ObjectOperation {
  objects: string[];
  operations: string[];
  callbackUrl: string;
  bearerToken?: string | null;
}

export interface OpenAdrSubscriptionRow extends ObjectRow {
  clientId: string;
  clientName: string;
  programId: string | null;
  objectOperations: ObjectOperation[];
  targets: string[] | null;
}

export interface OpenAdrReportRow extends ObjectRow {
  clientId: string;
  clientName: string;
  eventId: string;
  programId: string;
  /** The report as the VEN sent it (reportRequest), stored whole. */
  body: Record<string, unknown>;
}

/** A notification owed to one subscription's callback. */
export interface WebhookDelivery {
  id: string;
  subscriptionId: string;
  callbackUrl: string;
  bearerToken: string | null;
  notification: unknown;
  attempts: number;
}

/** A notification to fan out to the subscriptions that may read it (the definition's object privacy, done in SQL). */
export interface NotificationToEnqueue {
  objectType: string;
  operation: string;
  /** The object's program, for a subscription limited to one program. */
  programId: string | null;
  /** The object's targets: a subscription's targets filter on them; a VEN's subscription needs one of its grants among them. */
  targets: string[];
  /** Set for an object a VEN created: only that VEN's and business logic's subscriptions hear of it (targets are not a grant). */
  ownerClientId: string | null;
  notification: unknown;
  /** Names the change, so the same change enqueued twice (two brokers, a replay) is delivered once. */
  dedupeKey: string;
}

export type DeliveryOutcome = 'delivered' | 'failed' | 'retry';

const time = (v: unknown) => new Date(v as string).getTime();
const meta = (r: Record<string, any>): ObjectRow => ({ id: r.id, createdAt: time(r.created_at), modifiedAt: time(r.modified_at) });
const ven = (r: Record<string, any>): OpenAdrVenRow => ({
  ...meta(r),
  clientId: r.client_id,
  venName: r.ven_name,
  targets: r.targets,
  attributes: r.attributes,
});
const resource = (r: Record<string, any>): OpenAdrResourceRow => ({
  ...meta(r),
  venId: r.ven_id,
  clientId: r.client_id,
  resourceName: r.resource_name,
  targets: r.targets,
  attributes: r.attributes,
});
const subscription = (r: Record<string, any>): OpenAdrSubscriptionRow => ({
  ...meta(r),
  clientId: r.client_id,
  clientName: r.client_name,
  programId: r.program_id,
  objectOperations: r.object_operations,
  targets: r.targets,
});
const report = (r: Record<string, any>): OpenAdrReportRow => ({
  ...meta(r),
  clientId: r.client_id,
  clientName: r.client_name,
  eventId: r.event_id,
  programId: r.program_id,
  body: r.body,
});

/** A page and who may see what: `clientId` null reads every client's objects (business logic). */
export interface ObjectQuery {
  clientId: string | null;
  skip: number;
  limit: number;
}

/** A unique name already taken (venName within the VTN, resourceName within its ven). */
const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505';

/**
 * The OpenADR objects clients create (migration 1763920000000): ven and resource objects, webhook
 * subscriptions, reports, and the webhook deliveries owed (an outbox: enqueued in SQL, claimed with
 * SKIP LOCKED by whichever API replica is free, each attempt's outcome written back).
 */
export class OpenAdrObjectsRepository {
  constructor(private readonly dataSource: DataSource) {}

  // --- ven objects ---------------------------------------------------------------------------

  /** null when the name is taken. */
  async createVen(row: Omit<OpenAdrVenRow, 'createdAt' | 'modifiedAt'>, sql: Sql = this.dataSource): Promise<OpenAdrVenRow | null> {
    try {
      const [created] = await sql.query(
        `INSERT INTO openadr_vens (id, client_id, ven_name, targets, attributes) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [row.id, row.clientId, row.venName, row.targets, row.attributes === null ? null : JSON.stringify(row.attributes)],
      );
      return ven(created);
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
  }

  async vens(query: ObjectQuery & { venName?: string; targets: string[] }, sql: Sql = this.dataSource): Promise<OpenAdrVenRow[]> {
    const rows = await sql.query(
      `SELECT * FROM openadr_vens
        WHERE ($1::text IS NULL OR client_id = $1) AND ($2::text IS NULL OR ven_name = $2)
          AND (cardinality($3::text[]) = 0 OR targets && $3)
        ORDER BY created_at, id OFFSET $4 LIMIT $5`,
      [query.clientId, query.venName ?? null, query.targets, query.skip, query.limit],
    );
    return rows.map(ven);
  }

  async ven(id: string, clientId: string | null): Promise<OpenAdrVenRow | null> {
    const [row] = await this.dataSource.query(`SELECT * FROM openadr_vens WHERE id = $1 AND ($2::text IS NULL OR client_id = $2)`, [
      id,
      clientId,
    ]);
    return row ? ven(row) : null;
  }

  /** Replaces a ven object's fields; null when there is no such object, 'conflict' when the new name is taken. */
  async updateVen(
    id: string,
    fields: Pick<OpenAdrVenRow, 'venName' | 'targets' | 'attributes'>,
    sql: Sql,
  ): Promise<OpenAdrVenRow | 'conflict' | null> {
    try {
      const [row] = returnedRows<Record<string, any>>(
        await sql.query(
          `UPDATE openadr_vens SET ven_name = $2, targets = $3, attributes = $4, modified_at = now() WHERE id = $1 RETURNING *`,
          [id, fields.venName, fields.targets, fields.attributes === null ? null : JSON.stringify(fields.attributes)],
        ),
      );
      return row ? ven(row) : null;
    } catch (error) {
      if (isUniqueViolation(error)) return 'conflict';
      throw error;
    }
  }

  async deleteVen(id: string, sql: Sql): Promise<OpenAdrVenRow | null> {
    const [row] = returnedRows<Record<string, any>>(await sql.query(`DELETE FROM openadr_vens WHERE id = $1 RETURNING *`, [id]));
    return row ? ven(row) : null;
  }

  // --- resources -----------------------------------------------------------------------------

  async createResource(row: Omit<OpenAdrResourceRow, 'createdAt' | 'modifiedAt'>, sql: Sql): Promise<OpenAdrResourceRow | null> {
    try {
      const [created] = await sql.query(
        `INSERT INTO openadr_resources (id, ven_id, client_id, resource_name, targets, attributes)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [row.id, row.venId, row.clientId, row.resourceName, row.targets, row.attributes === null ? null : JSON.stringify(row.attributes)],
      );
      return resource(created);
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
  }

  async resources(query: ObjectQuery & { venId?: string; resourceName?: string; targets: string[] }): Promise<OpenAdrResourceRow[]> {
    const rows = await this.dataSource.query(
      `SELECT * FROM openadr_resources
        WHERE ($1::text IS NULL OR client_id = $1) AND ($2::text IS NULL OR ven_id = $2) AND ($3::text IS NULL OR resource_name = $3)
          AND (cardinality($4::text[]) = 0 OR targets && $4)
        ORDER BY created_at, id OFFSET $5 LIMIT $6`,
      [query.clientId, query.venId ?? null, query.resourceName ?? null, query.targets, query.skip, query.limit],
    );
    return rows.map(resource);
  }

  async resource(id: string, clientId: string | null): Promise<OpenAdrResourceRow | null> {
    const [row] = await this.dataSource.query(`SELECT * FROM openadr_resources WHERE id = $1 AND ($2::text IS NULL OR client_id = $2)`, [
      id,
      clientId,
    ]);
    return row ? resource(row) : null;
  }

  async updateResource(
    id: string,
    fields: Pick<OpenAdrResourceRow, 'resourceName' | 'targets' | 'attributes'>,
    sql: Sql,
  ): Promise<OpenAdrResourceRow | 'conflict' | null> {
    try {
      const [row] = returnedRows<Record<string, any>>(
        await sql.query(
          `UPDATE openadr_resources SET resource_name = $2, targets = $3, attributes = $4, modified_at = now() WHERE id = $1 RETURNING *`,
          [id, fields.resourceName, fields.targets, fields.attributes === null ? null : JSON.stringify(fields.attributes)],
        ),
      );
      return row ? resource(row) : null;
    } catch (error) {
      if (isUniqueViolation(error)) return 'conflict';
      throw error;
    }
  }

  async deleteResource(id: string, sql: Sql): Promise<OpenAdrResourceRow | null> {
    const [row] = returnedRows<Record<string, any>>(await sql.query(`DELETE FROM openadr_resources WHERE id = $1 RETURNING *`, [id]));
    return row ? resource(row) : null;
  }

  // --- grants --------------------------------------------------------------------------------

  /** The targets business logic granted a client: those of its ven objects and of their resources. */
  async grantsOf(clientId: string, sql: Sql): Promise<string[]> {
    const [row] = await sql.query(
      `SELECT coalesce(array_agg(DISTINCT t ORDER BY t), '{}') AS targets FROM (
         SELECT unnest(targets) AS t FROM openadr_vens WHERE client_id = $1
         UNION SELECT unnest(r.targets) FROM openadr_resources r JOIN openadr_vens v ON v.id = r.ven_id WHERE v.client_id = $1) g`,
      [clientId],
    );
    return row.targets as string[];
  }

  /** What the VTN derives from a client's grants: the targets it reads programs by, and the MQTT filters its ACL allows. */
  async setGrant(clientId: string, targets: string[], subscribeFilters: string[], sql: Sql): Promise<void> {
    await sql.query(`UPDATE openadr_clients SET targets = $2, subscribe_filters = $3 WHERE client_id = $1`, [
      clientId,
      targets,
      subscribeFilters,
    ]);
  }

  // --- subscriptions -------------------------------------------------------------------------

  async createSubscription(row: Omit<OpenAdrSubscriptionRow, 'createdAt' | 'modifiedAt'>, sql: Sql): Promise<OpenAdrSubscriptionRow> {
    const [created] = await sql.query(
      `INSERT INTO openadr_subscriptions (id, client_id, client_name, program_id, object_operations, targets)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [row.id, row.clientId, row.clientName, row.programId, JSON.stringify(row.objectOperations), row.targets],
    );
    return subscription(created);
  }

  async subscriptions(
    query: ObjectQuery & { programId?: string; clientName?: string; objects: string[] },
  ): Promise<OpenAdrSubscriptionRow[]> {
    const rows = await this.dataSource.query(
      `SELECT * FROM openadr_subscriptions s
        WHERE ($1::text IS NULL OR client_id = $1) AND ($2::text IS NULL OR program_id = $2) AND ($3::text IS NULL OR client_name = $3)
          AND (cardinality($4::text[]) = 0 OR EXISTS (
                SELECT 1 FROM jsonb_array_elements(s.object_operations) op WHERE op->'objects' ?| $4))
        ORDER BY created_at, id OFFSET $5 LIMIT $6`,
      [query.clientId, query.programId ?? null, query.clientName ?? null, query.objects, query.skip, query.limit],
    );
    return rows.map(subscription);
  }

  async subscription(id: string, clientId: string | null): Promise<OpenAdrSubscriptionRow | null> {
    const [row] = await this.dataSource.query(
      `SELECT * FROM openadr_subscriptions WHERE id = $1 AND ($2::text IS NULL OR client_id = $2)`,
      [id, clientId],
    );
    return row ? subscription(row) : null;
  }

  async updateSubscription(
    id: string,
    fields: Pick<OpenAdrSubscriptionRow, 'clientName' | 'programId' | 'objectOperations' | 'targets'>,
    sql: Sql,
  ): Promise<OpenAdrSubscriptionRow | null> {
    const [row] = returnedRows<Record<string, any>>(
      await sql.query(
        `UPDATE openadr_subscriptions SET client_name = $2, program_id = $3, object_operations = $4, targets = $5, modified_at = now()
        WHERE id = $1 RETURNING *`,
        [id, fields.clientName, fields.programId, JSON.stringify(fields.objectOperations), fields.targets],
      ),
    );
    return row ? subscription(row) : null;
  }

  async deleteSubscription(id: string, sql: Sql): Promise<OpenAdrSubscriptionRow | null> {
    const [row] = returnedRows<Record<string, any>>(await sql.query(`DELETE FROM openadr_subscriptions WHERE id = $1 RETURNING *`, [id]));
    return row ? subscription(row) : null;
  }

  // --- reports -------------------------------------------------------------------------------

  async createReport(row: Omit<OpenAdrReportRow, 'createdAt' | 'modifiedAt'>, sql: Sql): Promise<OpenAdrReportRow> {
    const [created] = await sql.query(
      `INSERT INTO openadr_reports (id, client_id, client_name, event_id, program_id, body) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [row.id, row.clientId, row.clientName, row.eventId, row.programId, JSON.stringify(row.body)],
    );
    return report(created);
  }

  async reports(query: ObjectQuery & { programId?: string; eventId?: string; clientName?: string }): Promise<OpenAdrReportRow[]> {
    const rows = await this.dataSource.query(
      `SELECT * FROM openadr_reports
        WHERE ($1::text IS NULL OR client_id = $1) AND ($2::text IS NULL OR program_id = $2) AND ($3::text IS NULL OR event_id = $3)
          AND ($4::text IS NULL OR client_name = $4)
        ORDER BY created_at, id OFFSET $5 LIMIT $6`,
      [query.clientId, query.programId ?? null, query.eventId ?? null, query.clientName ?? null, query.skip, query.limit],
    );
    return rows.map(report);
  }

  async report(id: string, clientId: string | null): Promise<OpenAdrReportRow | null> {
    const [row] = await this.dataSource.query(`SELECT * FROM openadr_reports WHERE id = $1 AND ($2::text IS NULL OR client_id = $2)`, [
      id,
      clientId,
    ]);
    return row ? report(row) : null;
  }

  async updateReport(id: string, fields: Pick<OpenAdrReportRow, 'clientName' | 'body'>, sql: Sql): Promise<OpenAdrReportRow | null> {
    const [row] = returnedRows<Record<string, any>>(
      await sql.query(`UPDATE openadr_reports SET client_name = $2, body = $3, modified_at = now() WHERE id = $1 RETURNING *`, [
        id,
        fields.clientName,
        JSON.stringify(fields.body),
      ]),
    );
    return row ? report(row) : null;
  }

  async deleteReport(id: string, sql: Sql): Promise<OpenAdrReportRow | null> {
    const [row] = returnedRows<Record<string, any>>(await sql.query(`DELETE FROM openadr_reports WHERE id = $1 RETURNING *`, [id]));
    return row ? report(row) : null;
  }

  // --- webhook deliveries --------------------------------------------------------------------

  /**
   * One delivery per subscription entry that asked for this object type and operation, whose
   * program and targets match, and whose client may read the object: business logic reads all; a
   * VEN an object it created, or a program or event carrying one of the targets granted to it.
   * Returns how many were enqueued (none twice for one dedupe key).
   */
  async enqueue(n: NotificationToEnqueue, sql: Sql = this.dataSource): Promise<number> {
    const rows = await sql.query(
      `INSERT INTO openadr_deliveries (subscription_id, callback_url, bearer_token, notification, dedupe_key)
       SELECT s.id, op->>'callbackUrl', op->>'bearerToken', $1::jsonb, $2
         FROM openadr_subscriptions s
         LEFT JOIN openadr_clients c ON c.client_id = s.client_id
        CROSS JOIN LATERAL jsonb_array_elements(s.object_operations) op
        WHERE op->'objects' ? $3 AND op->'operations' ? $4
          AND (s.program_id IS NULL OR s.program_id = $5)
          AND (s.targets IS NULL OR cardinality(s.targets) = 0 OR s.targets && $6::text[])
          AND c.revoked_at IS NULL
          AND (c.role IS DISTINCT FROM 'ven' OR CASE WHEN $7::text IS NULL THEN c.targets && $6::text[] ELSE s.client_id = $7 END)
       ON CONFLICT DO NOTHING RETURNING id`,
      [JSON.stringify(n.notification), n.dedupeKey, n.objectType, n.operation, n.programId, n.targets, n.ownerClientId],
    );
    return rows.length;
  }

  /** Claims up to `limit` due deliveries for `leaseMs` (another replica skips them meanwhile; an expired lease is due again). */
  async claimDue(limit: number, leaseMs: number): Promise<WebhookDelivery[]> {
    const rows = returnedRows<Record<string, any>>(
      await this.dataSource.query(
        `UPDATE openadr_deliveries d SET lease_until = now() + $2 * interval '1 millisecond'
        WHERE d.id IN (SELECT id FROM openadr_deliveries
                        WHERE state = 'pending' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
                        ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING d.id, d.subscription_id, d.callback_url, d.bearer_token, d.notification, d.attempts`,
        [limit, leaseMs],
      ),
    );
    return rows.map((r) => ({
      id: String(r.id),
      subscriptionId: r.subscription_id,
      callbackUrl: r.callback_url,
      bearerToken: r.bearer_token,
      notification: r.notification,
      attempts: r.attempts,
    }));
  }

  /** An attempt's outcome: delivered, given up, or tried again after `retryInMs`. */
  async recordAttempt(id: string, outcome: DeliveryOutcome, error: string | null, retryInMs = 0): Promise<void> {
    await this.dataSource.query(
      `UPDATE openadr_deliveries
          SET attempts = attempts + 1, last_error = $3, lease_until = NULL,
              state = CASE WHEN $2 = 'retry' THEN 'pending' ELSE $2 END,
              finished_at = CASE WHEN $2 = 'retry' THEN NULL ELSE now() END,
              next_attempt_at = CASE WHEN $2 = 'retry' THEN now() + $4 * interval '1 millisecond' ELSE next_attempt_at END
        WHERE id = $1`,
      [id, outcome, error, retryInMs],
    );
  }

  /** Drops deliveries finished (delivered or given up) more than `ageMs` ago: the outbox keeps what is owed, not a history. */
  async pruneFinished(ageMs: number): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM openadr_deliveries WHERE state <> 'pending' AND finished_at < now() - $1 * interval '1 millisecond'`,
      [ageMs],
    );
  }

  /** Deliveries by state, for the gauges. */
  async deliveryCounts(): Promise<Record<'pending' | 'delivered' | 'failed', number>> {
    const rows: { state: 'pending' | 'delivered' | 'failed'; n: string }[] = await this.dataSource.query(
      `SELECT state, count(*) AS n FROM openadr_deliveries GROUP BY state`,
    );
    const counts = { pending: 0, delivered: 0, failed: 0 };
    for (const r of rows) counts[r.state] = Number(r.n);
    return counts;
  }
}
