/** Opaque cursors for keyset pagination: base64url of the last row's sort key. */
export function encodeCursor(key: string | number): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T extends string | number>(cursor: string | undefined, type: 'string' | 'number'): T | null {
  if (!cursor) return null;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return typeof value === type ? (value as T) : null;
  } catch {
    return null;
  }
}

/** Takes `limit + 1` rows, returns `limit` and the cursor of the last one when there are more. */
export function pageOf<T>(rows: T[], limit: number, keyOf: (row: T) => string | number) {
  const items = rows.slice(0, limit);
  const nextCursor = rows.length > limit ? encodeCursor(keyOf(items[items.length - 1])) : null;
  return { items, nextCursor };
}
