import { DomainError } from '@wattline/domain';

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
  if (!valid) throw new DomainError('validation_failed', 'cursor is not one this API issued: pass the nextCursor of the previous page, or none for the first page', { field: 'cursor' });
  return value as T;
}

/** Takes `limit + 1` rows, returns `limit` and the cursor of the last one when there are more. */
export function pageOf<T>(rows: T[], limit: number, keyOf: (row: T) => string | number) {
  const items = rows.slice(0, limit);
  const nextCursor = rows.length > limit ? encodeCursor(keyOf(items[items.length - 1])) : null;
  return { items, nextCursor };
}
