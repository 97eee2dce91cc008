import fc from 'fast-check';
import { advanceEventClock, regionNow, type EventClock } from './prices';

const MINUTE = 60_000;

describe("a region's event clock", () => {
  it('never goes back once it has a reading, whatever interleaving of live readings and backlogs arrives, however the wall clock moves on', () => {
    // Stores at increasing wall times; each carries live readings (about now) or a backlog (up to a day old).
    const store = fc.record({
      gap: fc.integer({ min: 0, max: 10 * MINUTE }),
      age: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: MINUTE, max: 1440 * MINUTE })),
    });
    fc.assert(
      fc.property(
        fc.array(store, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: -400 * 86_400_000, max: 0 }),
        (stores, replayOffset) => {
          let wall = Date.UTC(2026, 11, 2);
          let clock: EventClock | null = null;
          let seen = -Infinity;
          for (const s of stores) {
            wall += s.gap;
            // The time it shows just before this store (the first reading is what gives a region its time).
            const before = clock === null ? -Infinity : regionNow(clock.lead, wall);
            expect(before).toBeGreaterThanOrEqual(seen);
            clock = advanceEventClock(clock, wall + replayOffset - s.age, wall);
            const after = regionNow(clock.lead, wall);
            expect(after).toBeGreaterThanOrEqual(before);
            seen = after;
          }
        },
      ),
    );
  });

  it('follows the newest reading of a live or replayed region exactly, as the watermark plus the time since it arrived', () => {
    let clock = advanceEventClock(null, Date.UTC(2013, 11, 2, 17, 0), Date.UTC(2026, 11, 2, 8, 0));
    clock = advanceEventClock(clock, Date.UTC(2013, 11, 2, 17, 30), Date.UTC(2026, 11, 2, 8, 0, 1)); // a replay: 30 min in a second
    expect(regionNow(clock.lead, Date.UTC(2026, 11, 2, 8, 0, 11))).toBe(Date.UTC(2013, 11, 2, 17, 30, 10));
    // An hour of backlog arrives a minute later: the clock does not move back to it.
    const backlog = advanceEventClock(clock, Date.UTC(2013, 11, 2, 16, 30), Date.UTC(2026, 11, 2, 8, 1, 1));
    expect(backlog).toEqual(clock);
    expect(regionNow(backlog.lead, Date.UTC(2026, 11, 2, 8, 1, 1))).toBe(Date.UTC(2013, 11, 2, 17, 31));
    expect(regionNow(null, 5)).toBe(5);
  });
});
