import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The OpenADR objects clients create (the definition's "VEN created object privacy"): ven and
 * resource objects (the targets business logic grants a VEN live on them; `openadr_clients.targets`
 * becomes what the VTN derives from them), webhook subscriptions, VEN usage reports, and the
 * webhook deliveries owed to subscriptions (an outbox drained with back-off by the API). Every
 * enrolled VEN gets the ven object its grant now lives on.
 */
export class OpenAdrObjects1763920000000 implements MigrationInterface {
  name = 'OpenAdrObjects1763920000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE openadr_vens (
        id          text PRIMARY KEY,
        client_id   text NOT NULL REFERENCES openadr_clients (client_id) ON DELETE CASCADE,
        ven_name    text NOT NULL UNIQUE,
        targets     text[] NOT NULL DEFAULT '{}',
        attributes  jsonb,
        created_at  timestamptz NOT NULL DEFAULT now(),
        modified_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX openadr_vens_client ON openadr_vens (client_id)`);
    await db.query(`
      CREATE TABLE openadr_resources (
        id            text PRIMARY KEY,
        ven_id        text NOT NULL REFERENCES openadr_vens (id) ON DELETE CASCADE,
        client_id     text NOT NULL,
        resource_name text NOT NULL,
        targets       text[] NOT NULL DEFAULT '{}',
        attributes    jsonb,
        created_at    timestamptz NOT NULL DEFAULT now(),
        modified_at   timestamptz NOT NULL DEFAULT now(),
        UNIQUE (ven_id, resource_name)
      )`);
    await db.query(`
      CREATE TABLE openadr_subscriptions (
        id                text PRIMARY KEY,
        client_id         text NOT NULL,
        client_name       text NOT NULL,
        program_id        text,
        object_operations jsonb NOT NULL,
        targets           text[],
        created_at        timestamptz NOT NULL DEFAULT now(),
        modified_at       timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX openadr_subscriptions_client ON openadr_subscriptions (client_id)`);
    await db.query(`
      CREATE TABLE openadr_reports (
        id          text PRIMARY KEY,
        client_id   text NOT NULL,
        client_name text NOT NULL,
        event_id    text NOT NULL,
        program_id  text NOT NULL,
        body        jsonb NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        modified_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX openadr_reports_client ON openadr_reports (client_id, created_at)`);
    await db.query(`
      CREATE TABLE openadr_deliveries (
        id              bigserial PRIMARY KEY,
        subscription_id text NOT NULL REFERENCES openadr_subscriptions (id) ON DELETE CASCADE,
        callback_url    text NOT NULL,
        bearer_token    text,
        notification    jsonb NOT NULL,
        dedupe_key      text NOT NULL,
        state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_until     timestamptz,
        last_error      text,
        created_at      timestamptz NOT NULL DEFAULT now(),
        finished_at     timestamptz,
        UNIQUE (subscription_id, callback_url, dedupe_key)
      )`);
    await db.query(`CREATE INDEX openadr_deliveries_due ON openadr_deliveries (next_attempt_at) WHERE state = 'pending'`);
    await db.query(`
      INSERT INTO openadr_vens (id, client_id, ven_name, targets, created_at, modified_at)
      SELECT gen_random_uuid()::text, client_id, name, targets, created_at, created_at FROM openadr_clients WHERE role = 'ven'`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['openadr_deliveries', 'openadr_reports', 'openadr_subscriptions', 'openadr_resources', 'openadr_vens'])
      await db.query(`DROP TABLE ${table}`);
  }
}
