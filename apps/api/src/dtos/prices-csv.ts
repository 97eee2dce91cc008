import { DomainError, fromLocal } from '@wattline/domain';
import type { CsvUploadQuery, UploadPricesBody } from './schemas';

/** A CSV upload read into the JSON shape of an upload (columns named by the query); the upload schema checks it after. */
export function pricesFromCsv(text: string, query: CsvUploadQuery): UploadPricesBody {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new DomainError('validation_failed', 'the CSV needs a header line and at least one row', { field: '(body)' });
  const header = lines[0].split(',').map((h) => h.trim());
  const column = (name: string, field: string) => {
    const i = header.indexOf(name);
    if (i < 0)
      throw new DomainError(
        'validation_failed',
        `the CSV has no column "${name}" (columns: ${header.join(', ')}); name it with ?${field}=`,
        { field },
      );
    return i;
  };
  const [t, p] = [column(query.timeColumn, 'timeColumn'), column(query.priceColumn, 'priceColumn')];
  const b = query.bandColumn ? column(query.bandColumn, 'bandColumn') : -1;
  return {
    prices: lines.slice(1).map((line, n) => {
      const cells = line.split(',').map((c) => c.trim());
      const time = parseCsvTime(cells[t], query.timeZone);
      const value = Number(cells[p]);
      if (time === null || !Number.isFinite(value))
        throw new DomainError('validation_failed', `CSV line ${n + 2}: "${line}" has no valid time or price`, { field: '(body)' });
      const scaled = (value / query.divisor).toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
      return { intervalStart: new Date(time).toISOString(), price: scaled, ...(b >= 0 ? { band: cells[b] } : {}) };
    }),
  };
}

/** `2013-01-01 00:30:00` (local to `timeZone`) or ISO-8601 with an offset. */
function parseCsvTime(cell: string | undefined, timeZone: string): number | null {
  if (!cell) return null;
  const local = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(cell);
  if (local) return fromLocal(Number(local[1]), Number(local[2]), Number(local[3]), Number(local[4]), Number(local[5]), timeZone);
  const ms = Date.parse(cell);
  return Number.isNaN(ms) || !/[zZ]|[+-]\d{2}:?\d{2}$/.test(cell) ? null : ms;
}
