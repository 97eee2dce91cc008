import type { DataSource } from 'typeorm';
import type { Page } from '@wattline/domain';
import { decodeCursor, pageOf } from './cursor';
import type { Row } from './rows';

export interface AuditEntry {
  id: string;
  keyId: string;
  keyName: string;
  /** What was read: `readings`, `bill`, `region-bills`. */
  action: string;
  meterId: string | null;
  regionId: string | null;
  path: string;
  at: number;
}

/** The audit log of reads of household data (migration 1763950000000): appended by the API, queried by admins. */
export class AuditLogRepository {
  constructor(private readonly dataSource: DataSource) {}

  async append(entry: Omit<AuditEntry, 'id' | 'at'>): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO audit_log (key_id, key_name, action, meter_id, region_id, path) VALUES ($1, $2, $3, $4, $5, $6)`,
      [entry.keyId, entry.keyName, entry.action, entry.meterId, entry.regionId, entry.path],
    );
  }

  /** Newest first, filtered by whose data and by which key. */
  async page(
    filter: { meterId?: string; keyId?: string; from?: number; to?: number },
    limit: number,
    cursor?: string,
  ): Promise<Page<AuditEntry>> {
    const before = decodeCursor<number>(cursor, 'number');
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM audit_log
        WHERE ($1::text IS NULL OR meter_id = $1) AND ($2::text IS NULL OR key_id = $2)
          AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::timestamptz IS NULL OR at < $4) AND ($5::bigint IS NULL OR id < $5)
        ORDER BY id DESC LIMIT $6`,
      [
        filter.meterId ?? null,
        filter.keyId ?? null,
        filter.from === undefined ? null : new Date(filter.from),
        filter.to === undefined ? null : new Date(filter.to),
        before,
        limit + 1,
      ],
    );
    const entries = rows.map((r) => ({
      id: String(r.id),
      keyId: r.key_id as string,
      keyName: r.key_name as string,
      action: r.action as string,
      meterId: (r.meter_id as string | null) ?? null,
      regionId: (r.region_id as string | null) ?? null,
      path: r.path as string,
      at: (r.at as Date).getTime(),
    }));
    return pageOf(entries, limit, (e) => Number(e.id));
  }
}
