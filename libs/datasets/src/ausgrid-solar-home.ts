import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { DATA_DIR, HALF_HOUR_S } from './london-households';

/**
 * The Ausgrid solar home shipped in data/ (customer 12, Sydney, 2011-07-01 to 2012-06-30):
 * half-hourly general consumption (GC) and gross rooftop-PV generation (GG), both as average kW.
 */
export interface SolarHomeSlot {
  /** Start of the half hour, epoch ms. */
  slotStart: number;
  consumptionWh: number;
  generationWh: number;
}

export const AUSGRID_SOLAR_HOME_CSV = 'ausgrid_customer12_gc_gg_2011-2012.csv';

/** Average kW over half an hour → Wh, to the milliwatt-hour (0.482 kW → 241 Wh). */
export function halfHourKwToWh(kw: string): number {
  return Math.round(Number(kw) * 500 * 1000) / 1000;
}

/**
 * Local NSW timestamps → UTC at a fixed +10:00 (AEST). The file keeps 48 slots every day,
 * DST days included (17,568 rows = 366 × 48), so a fixed offset keeps every slot distinct and
 * in order; during summer time the slots are labelled an hour off the wall clock.
 */
export function parseAest(text: string): number {
  const ms = Date.parse(`${text.replace(' ', 'T')}+10:00`);
  if (Number.isNaN(ms)) throw new Error(`unparseable timestamp "${text}"`);
  return ms;
}

export async function* readAusgridSolarHome(file = path.join(DATA_DIR, AUSGRID_SOLAR_HOME_CSV)): AsyncGenerator<SolarHomeSlot> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let header = true;
  for await (const line of lines) {
    if (header) {
      if (line.trim() !== ',GC,GG') throw new Error(`${file}: unexpected header "${line}"`);
      header = false;
      continue;
    }
    if (line === '') continue;
    const [timestamp, gc, gg] = line.split(',');
    yield { slotStart: parseAest(timestamp), consumptionWh: halfHourKwToWh(gc), generationWh: halfHourKwToWh(gg) };
  }
}

/** The reading the home's meter (and inverter) would send for a slot: `ts` is the end of the period. */
export function solarSlotToReading(slot: SolarHomeSlot) {
  return {
    ts: slot.slotStart + HALF_HOUR_S * 1000,
    periodS: HALF_HOUR_S,
    consumptionWh: slot.consumptionWh,
    generationWh: slot.generationWh,
  };
}
