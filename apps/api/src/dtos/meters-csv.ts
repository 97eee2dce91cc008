import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { DomainError } from '@wattline/domain';

/** What one provisioning file may hold: ten thousand devices, and the bytes for them. */
export const METERS_CSV_LIMITS = { meters: 10_000, bytes: 2 * 1024 * 1024, rowBytes: 1024 } as const;
/** The columns a provisioning file may have (`regionId` at least); an empty cell is a field left out. */
export const METER_CSV_COLUMNS = ['id', 'regionId', 'kind', 'cohort', 'householdId', 'tariff'] as const;

/**
 * A provisioning file read as a stream by csv-parse (quoted fields, a BOM, CRLF) into the JSON
 * shape of `POST /v1/meters/bulk`, `{meters:[…]}`: each row one device, its cells the fields of
 * `POST /v1/meters`. Validation is the route's (the same schema as JSON), reported by row.
 */
export async function readMetersCsv(body: Readable): Promise<{ meters: Record<string, string>[] }> {
  let bytes = 0;
  const parser = parse({
    columns: (header: string[]) => {
      const names = header.map((h) => h.trim());
      const unknown = names.find((n) => !(METER_CSV_COLUMNS as readonly string[]).includes(n));
      if (unknown !== undefined)
        throw new DomainError(
          'validation_failed',
          `the CSV has a column "${unknown.slice(0, 40)}"; columns are ${METER_CSV_COLUMNS.join(', ')}`,
        );
      if (!names.includes('regionId')) throw new DomainError('validation_failed', 'the CSV needs a regionId column');
      return names;
    },
    bom: true,
    trim: true,
    skip_empty_lines: true,
    max_record_size: METERS_CSV_LIMITS.rowBytes,
  });
  body.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > METERS_CSV_LIMITS.bytes)
      parser.destroy(new DomainError('payload_too_large', `the CSV is larger than the ${METERS_CSV_LIMITS.bytes} bytes a file may carry`));
  });
  body.pipe(parser);
  const meters: Record<string, string>[] = [];
  try {
    for await (const record of parser as AsyncIterable<Record<string, string>>) {
      if (meters.length >= METERS_CSV_LIMITS.meters)
        throw new DomainError('payload_too_large', `a file provisions at most ${METERS_CSV_LIMITS.meters} devices; split it`);
      meters.push(Object.fromEntries(Object.entries(record).filter(([, v]) => v !== '')));
    }
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw new DomainError('validation_failed', `the CSV cannot be read: ${(error as Error).message.slice(0, 200)}`);
  }
  return { meters };
}
