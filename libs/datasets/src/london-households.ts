import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

/**
 * The Low Carbon London smart-meter extract shipped in data/ (see data/README.md):
 * 79 households' half-hourly consumption, 2013-12-02 to 2013-12-29.
 */
export interface HouseholdSlot {
  lclId: string;
  tariffGroup: 'ToU' | 'Std';
  acornGroup: string;
  /** Start of the half hour, epoch ms (the published timestamps are GMT-like). */
  slotStart: number;
  /** Energy consumed in the half hour, Wh, to the milliwatt-hour the source gives (kWh × 1000). */
  consumptionWh: number;
}

export const LONDON_HOUSEHOLDS_CSV = 'lcl_london_households_2013-12_halfhourly.csv';

/** The repo's data/ folder, found from here whether running from source or from dist/. */
export const DATA_DIR = findDataDir(__dirname);

function findDataDir(start: string): string {
  for (let dir = start; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'data', LONDON_HOUSEHOLDS_CSV))) return path.join(dir, 'data');
  }
  throw new Error(`data/${LONDON_HOUSEHOLDS_CSV} not found above ${start}`);
}
export const HALF_HOUR_S = 1800;

/** kWh with up to 3 decimals → Wh without floating-point residue (0.275 kWh → 275 Wh). */
export function kwhToWh(kwh: string): number {
  return Math.round(Number(kwh) * 1_000_000) / 1000;
}

/** Parses `YYYY-MM-DD HH:MM:SS` as UTC (the LCL files have no DST gaps: GMT-like). */
export function parseGmt(text: string): number {
  const ms = Date.parse(`${text.replace(' ', 'T')}Z`);
  if (Number.isNaN(ms)) throw new Error(`unparseable timestamp "${text}"`);
  return ms;
}

/**
 * Streams the households file. `filter` picks households (by id) before rows are built,
 * so a caller that wants three homes does not hold all 106,176 rows.
 */
export async function* readLondonHouseholds(
  options: { file?: string; households?: (lclId: string) => boolean } = {},
): AsyncGenerator<HouseholdSlot> {
  const file = options.file ?? path.join(DATA_DIR, LONDON_HOUSEHOLDS_CSV);
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let header = true;
  for await (const line of lines) {
    if (header) {
      if (line.trim() !== 'lcl_id,tariff_group,acorn,acorn_group,timestamp_gmt,kwh_hh')
        throw new Error(`${file}: unexpected header "${line}"`);
      header = false;
      continue;
    }
    if (line === '') continue;
    const [lclId, tariffGroup, , acornGroup, timestamp, kwh] = line.split(',');
    if (options.households && !options.households(lclId)) continue;
    yield {
      lclId,
      tariffGroup: tariffGroup as HouseholdSlot['tariffGroup'],
      acornGroup,
      slotStart: parseGmt(timestamp),
      consumptionWh: kwhToWh(kwh),
    };
  }
}

/**
 * A reading as a meter would send it for one slot: the contract's `ts` is the END of the
 * measured period, so a slot starting 00:00 is reported at 00:30.
 */
export function slotToReading(slot: HouseholdSlot, seq?: number) {
  return {
    ts: slot.slotStart + HALF_HOUR_S * 1000,
    periodS: HALF_HOUR_S,
    consumptionWh: slot.consumptionWh,
    ...(seq === undefined ? {} : { seq }),
  };
}
