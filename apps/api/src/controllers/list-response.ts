import type { Request, Response } from 'express';
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

export function toCsv(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '';
  const columns = Object.keys(rows[0]).filter((c) => typeof rows[0][c] !== 'object' || rows[0][c] === null);
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
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
