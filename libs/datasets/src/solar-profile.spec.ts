import { SEASON_SHIFT_DAYS, SolarProfile } from './solar-profile';
import { readAusgridSolarHome } from './ausgrid-solar-home';

describe('rooftop generation for simulated London homes', () => {
  let profile: SolarProfile;
  beforeAll(async () => {
    profile = await SolarProfile.load();
  });

  it('takes the Sydney home measured 183 days earlier at the same local clock time, scaled per home', async () => {
    // London noon, 17 Dec 2013 (UTC = local in winter) ↔ Sydney noon AEST on 17 Jun 2013 − the data's year: 2012-06-17 12:00.
    const sydney = new Map<number, number>();
    for await (const slot of readAusgridSolarHome()) sydney.set(slot.slotStart, slot.generationWh);
    const measured = sydney.get(Date.parse('2012-06-17T12:00:00+10:00'))!;
    expect(measured).toBeGreaterThan(0);
    const londonNoon = Date.parse('2013-12-17T12:00:00Z');
    for (const home of [0, 1, 7]) {
      expect(profile.generationWh(londonNoon, home)).toBeCloseTo(measured * SolarProfile.scale(home), 3);
    }
    expect(SEASON_SHIFT_DAYS).toBe(183);
  });

  it('is dark at London midnight and gives every home a factor between 0.5 and 1.5', () => {
    expect(profile.generationWh(Date.parse('2013-12-17T00:00:00Z'), 3)).toBe(0);
    for (let home = 0; home < 1000; home++) {
      expect(SolarProfile.scale(home)).toBeGreaterThanOrEqual(0.5);
      expect(SolarProfile.scale(home)).toBeLessThan(1.5);
    }
  });
});
