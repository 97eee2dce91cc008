import { money } from '@wattline/domain';

/** A row as pg answers it, before it is mapped to a domain type. */
export type Row = Record<string, unknown>;

export const time = (v: unknown): number => (v as Date).getTime();
export const maybeTime = (v: unknown): number | null => (v === null || v === undefined ? null : time(v));
export const nullableNumber = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
/** PostgreSQL numerics come back as text with the column's scale: shown as the domain shows money. */
export const moneyText = (v: unknown): string => money(String(v));
export const timestamp = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

/**
 * The rows of an `UPDATE … RETURNING` (or `DELETE … RETURNING`) run through TypeORM's
 * `query()`: the pg driver there answers `[rows, affectedCount]` for those statements, and the
 * rows alone for SELECT and INSERT.
 */
export function returnedRows<T = Row>(result: unknown): T[] {
  const list = result as unknown[];
  return (Array.isArray(list[0]) ? list[0] : list) as T[];
}
