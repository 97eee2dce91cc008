import { readAusgridSolarHome } from './ausgrid-solar-home';

/**
 * Rooftop-PV generation for simulated homes, from the one measured solar home in data/ (Ausgrid
 * customer 12, Sydney). `data/` holds no London generation, so this is a documented stand-in:
 * - the season is matched, not the date: a day is taken 183 days earlier (London's December is
 *   Sydney's June), at the same local clock time (Sydney slots are labelled at AEST, +10:00);
 * - each home's system is scaled by its own factor (0.5–1.5, fixed per home), since system sizes
 *   differ; the weather is still the one Sydney had that day, at Sydney's latitude (more sun
 *   than London in winter).
 */
export const SEASON_SHIFT_DAYS = 183;
const AEST_MS = 10 * 3600_000;
const DAY_MS = 86_400_000;

/** The key of a local half hour, without the year: "MM-DD HH:MM". */
const localKey = (utcMs: number, offsetMs: number) => new Date(utcMs + offsetMs).toISOString().slice(5, 16).replace('T', ' ');

export class SolarProfile {
  private constructor(private readonly byLocalSlot: Map<string, number>) {}

  static async load(): Promise<SolarProfile> {
    const byLocalSlot = new Map<string, number>();
    for await (const slot of readAusgridSolarHome()) byLocalSlot.set(localKey(slot.slotStart, AEST_MS), slot.generationWh);
    return new SolarProfile(byLocalSlot);
  }

  /** A home's scale factor: 0.5–1.5, spread evenly over homes by the golden ratio. */
  static scale(home: number): number {
    return 0.5 + ((home * 0.6180339887) % 1);
  }

  /**
   * Wh generated in the half hour starting at `slotStart` (epoch ms) by home `home`, whose
   * local clock is `utcOffsetMs` ahead of UTC (0 for London in winter). To the mWh.
   */
  generationWh(slotStart: number, home: number, utcOffsetMs = 0): number {
    const measured = this.byLocalSlot.get(localKey(slotStart - SEASON_SHIFT_DAYS * DAY_MS, utcOffsetMs)) ?? 0;
    return Math.round(measured * SolarProfile.scale(home) * 1000) / 1000;
  }
}
