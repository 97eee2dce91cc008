import type { DataSource } from 'typeorm';

/** Anything that runs SQL: the data source, or one transaction of it. Repositories take either. */
export interface Sql {
  /** pg rows are untyped until a repository maps them to a domain type. */
  query(sql: string, parameters?: unknown[]): Promise<any>;
}

/**
 * One transaction over several table families: a service opens it and hands `tx` to each
 * repository method it calls. The body runs SQL only — repository calls given `tx` — never a
 * Kafka, Redis or MQTT call (transactions.spec.ts checks the source for it); what is to be
 * published after commit goes to an outbox table in the same transaction.
 */
export class Database {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => work(manager));
  }
}
