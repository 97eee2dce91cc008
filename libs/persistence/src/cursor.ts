import { DomainError, type Page } from '@wattline/domain';
import type { Row } from './rows';
import type { Sql } from './sql';

/** Opaque cursors for keyset pagination: base64url of the last row's sort key. */
export function encodeCursor(key: string | number): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * The sort key a cursor carries; no cursor is the first page. A cursor this API did not issue
 * is an error (400), never a silent restart at page one.
 */
export function decodeCursor<T extends string | number>(cursor: string | undefined, type: 'string' | 'number', shape?: RegExp): T | null {
  if (cursor === undefined || cursor === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const valid = type === 'number' ? Number.isSafeInteger(value) : typeof value === 'string' && (!shape || shape.test(value));
  if (!valid)
    throw new DomainError(
      'validation_failed',
      'cursor is not one this API issued: pass the nextCursor of the previous page, or none for the first page',
      { field: 'cursor' },
    );
  return value as T;
}

/** Takes `limit + 1` rows, returns `limit` and the cursor of the last one when there are more. */
export function pageOf<T>(rows: T[], limit: number, keyOf: (row: T) => string | number): Page<T> {
  const items = rows.slice(0, limit);
  const nextCursor = rows.length > limit ? encodeCursor(keyOf(items[items.length - 1])) : null;
  return { items, nextCursor };
}

/** One page of a time range: which rows, ordered by which time column. */
export interface RangePageQuery {
  /** `SELECT` list and `FROM` clause, e.g. `* FROM tariffs` or a join with its aliases. */
  from: string;
  /** The owner column (`region_id`, `meter_id`) and its value. */
  owner: [column: string, value: string];
  /** A second owner column and its value (the `tariff` of a region's prices), if rows have one. */
  and?: [column: string, value: string];
  /** The time column the range, the order and the cursor are on. */
  time: string;
  range: { from: number; to: number };
  limit: number;
  cursor?: string;
}

/**
 * The keyset page every time-range list shares: rows of one owner with `time` in [from, to),
 * after the cursor's time, in time order, `limit` of them and the cursor of the last.
 */
export async function rangePage<T>(sql: Sql, q: RangePageQuery, map: (row: Row) => T, keyOf: (item: T) => number): Promise<Page<T>> {
  const after = decodeCursor<number>(q.cursor, 'number');
  const rows: Row[] = await sql.query(
    `SELECT ${q.from}
      WHERE ${q.owner[0]} = $1 AND ${q.time} >= $2 AND ${q.time} < $3 AND ($4::timestamptz IS NULL OR ${q.time} > $4)${q.and ? ` AND ${q.and[0]} = $6` : ''}
      ORDER BY ${q.time} LIMIT $5`,
    [
      q.owner[1],
      new Date(q.range.from),
      new Date(q.range.to),
      after === null ? null : new Date(after),
      q.limit + 1,
      ...(q.and ? [q.and[1]] : []),
    ],
  );
  return pageOf(rows.map(map), q.limit, keyOf);
}
