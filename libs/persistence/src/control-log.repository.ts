import type { DataSource } from 'typeorm';
import type { Sql } from './sql';

export type ControlLogType = 'credential-revoked' | 'credential-changed';

export interface ControlLogEntry {
  seq: number;
  type: ControlLogType;
  username: string;
  at: number;
}

/** The control log (migration 1763900000000): revocations and reach changes, in commit order. */
export class ControlLogRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Appends entries inside the caller's transaction (the change they announce commits with them). */
  async append(type: ControlLogType, usernames: string[], at: number, sql: Sql): Promise<void> {
    if (usernames.length === 0) return;
    await sql.query(`INSERT INTO control_events (type, username, at) SELECT $1, u, $3 FROM unnest($2::text[]) AS u`, [
      type,
      usernames,
      new Date(at),
    ]);
  }

  /** Entries after `seq`, oldest first. */
  async after(seq: number, limit: number): Promise<ControlLogEntry[]> {
    const rows: { seq: string; type: ControlLogType; username: string; at: Date }[] = await this.dataSource.query(
      `SELECT seq, type, username, at FROM control_events WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [seq, limit],
    );
    return rows.map((r) => ({ seq: Number(r.seq), type: r.type, username: r.username, at: new Date(r.at).getTime() }));
  }

  /** Drops entries older than `beforeMs` (long past the credential cache's lifetime: no reader needs them). */
  async prune(beforeMs: number): Promise<void> {
    await this.dataSource.query(`DELETE FROM control_events WHERE at < $1`, [new Date(beforeMs)]);
  }

  /** Where a reader starting now begins: after the last entry older than `sinceMs` (so it still reads the newer ones). */
  async startAfter(sinceMs: number): Promise<number> {
    const [row] = await this.dataSource.query(
      `SELECT coalesce((SELECT min(seq) - 1 FROM control_events WHERE at >= $1), (SELECT max(seq) FROM control_events), 0) AS seq`,
      [new Date(sinceMs)],
    );
    return Number(row.seq);
  }
}
