/**
 * The rows of an `UPDATE … RETURNING` (or `DELETE … RETURNING`) run through TypeORM's
 * `query()`: the pg driver there answers `[rows, affectedCount]` for those statements, and the
 * rows alone for SELECT and INSERT.
 */
export function returnedRows<T = Record<string, unknown>>(result: unknown): T[] {
  const list = result as unknown[];
  return (Array.isArray(list[0]) ? list[0] : list) as T[];
}
