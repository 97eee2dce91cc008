import type { Request, Response } from 'express';
import { stringify } from 'csv-stringify/sync';
import { resolveRange } from '../dtos/schemas';

/**
 * Sends a page as JSON (`{items, nextCursor}`) or, when the client asks with
 * `Accept: text/csv`, as CSV with the next cursor in a `Link` header.
 */
export function sendPage<T extends Record<string, unknown>>(
  req: Request,
  res: Response,
  page: { items: T[]; nextCursor: string | null },
): void {
  if (page.nextCursor) {
    const url = new URL(req.originalUrl, 'http://x');
    url.searchParams.set('cursor', page.nextCursor);
    res.setHeader('Link', `<${url.pathname}${url.search}>; rel="next"`);
  }
  if (req.accepts(['application/json', 'text/csv']) === 'text/csv') {
    res.type('text/csv').send(toCsv(page.items));
    return;
  }
  res.json(page);
}

/** Starts a cell a spreadsheet would run as a formula (OWASP, CSV injection): `=`, `+`, `-`, `@`, tab, carriage return. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain number cannot be a formula: "-0.0500" (an export credit) stays a number. */
const PLAIN_NUMBER = /^[-+]?\d+(\.\d+)?$/;

/** A cell as text a spreadsheet shows and never evaluates: a formula-like text gets a leading `'`, as OWASP advises. */
export function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

/** Rows as CSV (csv-stringify quotes what needs it): the header from the first row's flat fields, each cell neutralised. */
export function toCsv(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '';
  const columns = Object.keys(rows[0]).filter((c) => typeof rows[0][c] !== 'object' || rows[0][c] === null);
  return stringify(
    rows.map((r) => columns.map((c) => csvCell(r[c]))),
    { header: true, columns, record_delimiter: 'unix' },
  );
}

/** A range query answered as a page: resolves `from`/`to`, fetches, maps each item to its view. */
export async function sendRangePage<T, V extends Record<string, unknown>>(
  req: Request,
  res: Response,
  query: { from?: string; to?: string; limit: number; cursor?: string },
  nowMs: number,
  fetchPage: (from: number, to: number, limit: number, cursor?: string) => Promise<{ items: T[]; nextCursor: string | null }>,
  view: (item: T) => V,
): Promise<void> {
  const { from, to } = resolveRange(query, nowMs);
  const page = await fetchPage(from, to, query.limit, query.cursor);
  sendPage(req, res, { items: page.items.map(view), nextCursor: page.nextCursor });
}
