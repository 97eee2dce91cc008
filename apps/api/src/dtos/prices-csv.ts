import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import Decimal from 'decimal.js';
import { DomainError, fromLocalStrict, MONEY_PATTERN } from '@wattline/domain';
import type { CsvUploadQuery, UploadPricesBody } from './schemas';

/** What one upload may hold: the documented 50,000 prices (nearly three years of half hours), and the bytes for them. */
export const UPLOAD_LIMITS = { prices: 50_000, bytes: 8 * 1024 * 1024, rowBytes: 4096 } as const;

const NAIVE_LOCAL = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([zZ]|[+-]\d{2}:?\d{2})$/;

const refuse = (line: number, detail: string) =>
  new DomainError('validation_failed', `CSV line ${line}: ${detail}`, { field: '(body)', line });

/**
 * `2013-01-01 00:30:00` (local to `timeZone`, refused where the zone's clock change makes it
 * name no instant or two) or ISO-8601 with an offset.
 */
function csvTime(cell: string, timeZone: string, line: number): number {
  const local = NAIVE_LOCAL.exec(cell);
  if (local) {
    const at = fromLocalStrict(Number(local[1]), Number(local[2]), Number(local[3]), Number(local[4]), Number(local[5]), timeZone);
    if (!at.ok) throw refuse(line, at.detail);
    return at.ms;
  }
  const ms = WITH_OFFSET.test(cell) ? Date.parse(cell) : NaN;
  if (Number.isNaN(ms))
    throw refuse(line, `"${cell.slice(0, 40)}" is not a time: give 2013-01-01 00:30:00 (local to timeZone) or ISO-8601 with an offset`);
  return ms;
}

/**
 * A CSV upload read as a stream by csv-parse (quoted fields, a quoted header, a BOM, CRLF) into
 * the JSON shape of an upload, with the columns its query names. Each row is checked as it
 * comes: an empty or non-numeric price, a time that is not one, an interval given twice — each
 * refused with its line. Memory is bounded by the upload's limits, not by the body: past 50,000
 * prices or 8 MiB the stream is stopped and the upload refused.
 */
export async function readPricesCsv(body: Readable, query: CsvUploadQuery): Promise<UploadPricesBody> {
  let bytes = 0;
  const parser = parse({
    columns: (header: string[]) => header.map((h) => h.trim()),
    bom: true,
    trim: true,
    skip_empty_lines: true,
    info: true,
    max_record_size: UPLOAD_LIMITS.rowBytes,
  });
  body.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > UPLOAD_LIMITS.bytes)
      parser.destroy(new DomainError('payload_too_large', `the CSV is larger than the ${UPLOAD_LIMITS.bytes} bytes an upload may carry`));
  });
  body.pipe(parser);
  const prices: UploadPricesBody['prices'] = [];
  const lineOf = new Map<number, number>();
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      const line = info.lines;
      if (prices.length === 0) {
        for (const [name, field] of [
          [query.timeColumn, 'timeColumn'],
          [query.priceColumn, 'priceColumn'],
          ...(query.bandColumn ? [[query.bandColumn, 'bandColumn']] : []),
        ]) {
          if (!(name in record))
            throw new DomainError(
              'validation_failed',
              `the CSV has no column "${name}" (columns: ${Object.keys(record).join(', ')}); name it with ?${field}=`,
              { field },
            );
        }
      }
      if (prices.length >= UPLOAD_LIMITS.prices)
        throw new DomainError('payload_too_large', `an upload holds at most ${UPLOAD_LIMITS.prices} prices; split the series`);
      const time = csvTime(record[query.timeColumn] ?? '', query.timeZone, line);
      const cell = record[query.priceColumn] ?? '';
      if (cell === '') throw refuse(line, 'the price is empty (an interval without a price is left out, never free)');
      if (!MONEY_PATTERN.test(cell)) throw refuse(line, `the price "${cell.slice(0, 40)}" is not a decimal number`);
      const earlier = lineOf.get(time);
      if (earlier !== undefined) throw refuse(line, `${new Date(time).toISOString()} is given twice (first on line ${earlier})`);
      lineOf.set(time, line);
      const scaled = new Decimal(cell).dividedBy(query.divisor).toDecimalPlaces(6).toFixed();
      prices.push({
        intervalStart: new Date(time).toISOString(),
        price: scaled,
        ...(query.bandColumn ? { band: record[query.bandColumn] } : {}),
      });
    }
  } catch (error) {
    body.unpipe(parser);
    body.resume(); // the rest of the body is read and dropped, so the refusal can be answered
    if (error instanceof DomainError) throw error;
    const e = error as { code?: string; lines?: number; message: string };
    throw new DomainError('validation_failed', `the CSV cannot be read${e.lines ? ` at line ${e.lines}` : ''}: ${e.message}`, {
      field: '(body)',
    });
  }
  if (prices.length === 0)
    throw new DomainError('validation_failed', 'the CSV needs a header line and at least one row', { field: '(body)' });
  return { prices };
}
