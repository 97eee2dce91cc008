import fc from 'fast-check';
import { DomainError } from './errors';
import {
  cohortAt,
  moveWithin,
  movedInAt,
  planWithCohort,
  planWithMove,
  regionAt,
  spansMove,
  staysIn,
  type RegionPeriod,
} from './meter-moves';

const HALF = 1_800_000;
const DAY = Date.UTC(2013, 11, 2);
const NOW = DAY + 10 * HALF + 60_000; // 05:01 in the region's time

describe('a household moving to another region', () => {
  const moved = planWithMove([{ regionId: 'kitakyushu', from: null }], { regionId: 'fukuoka', from: DAY + 12 * HALF }, NOW, HALF);

  it('is in its old region up to the move and in the new one from it', () => {
    expect(moved).toEqual([
      { regionId: 'kitakyushu', from: null },
      { regionId: 'fukuoka', from: DAY + 12 * HALF },
    ]);
    expect(regionAt(moved, DAY + 12 * HALF - 1)).toBe('kitakyushu');
    expect(regionAt(moved, DAY + 12 * HALF)).toBe('fukuoka');
    expect(movedInAt(moved, DAY)).toBeNull();
    expect(movedInAt(moved, DAY + 20 * HALF)).toBe(DAY + 12 * HALF);
  });

  it('cuts a window at the move: one stay in each region', () => {
    expect(moveWithin(moved, DAY, DAY + 48 * HALF)).toEqual({ regionId: 'fukuoka', from: DAY + 12 * HALF });
    expect(moveWithin(moved, DAY + 12 * HALF, DAY + 48 * HALF)).toBeNull();
    expect(staysIn(moved, 'kitakyushu', DAY, DAY + 48 * HALF)).toEqual([{ from: DAY, to: DAY + 12 * HALF }]);
    expect(staysIn(moved, 'fukuoka', DAY, DAY + 48 * HALF)).toEqual([{ from: DAY + 12 * HALF, to: DAY + 48 * HALF }]);
    expect(staysIn(moved, 'fukuoka', DAY, DAY + 12 * HALF)).toEqual([]);
  });

  it('refuses a reading whose period spans the move, and only that one', () => {
    const move = DAY + 12 * HALF;
    expect(spansMove(moved, { ts: move + HALF / 2, periodS: 1800 })).toBe(
      "the period spans the household's move to region fukuoka at 2013-12-02T06:00:00.000Z: send it as two readings, one ending then",
    );
    expect(spansMove(moved, { ts: move, periodS: 1800 })).toBeNull();
    expect(spansMove(moved, { ts: move + HALF, periodS: 1800 })).toBeNull();
    expect(spansMove([{ regionId: 'kitakyushu', from: null }], { ts: move + HALF / 2, periodS: 1800 })).toBeNull();
  });

  it('is refused from the interval running now, between interval starts, or into the region it will be in', () => {
    const refusal = (from: number, regionId = 'fukuoka') => {
      try {
        planWithMove(moved, { regionId, from }, NOW, HALF);
        return null;
      } catch (error) {
        return [(error as DomainError).code, (error as DomainError).details.field];
      }
    };
    expect(refusal(DAY + 10 * HALF)).toEqual(['validation_failed', 'effectiveFrom']);
    expect(refusal(DAY + 11 * HALF + 60_000)).toEqual(['validation_failed', 'effectiveFrom']);
    expect(refusal(DAY + 30 * HALF)).toEqual(['conflict', 'regionId']);
    expect(refusal(DAY + 11 * HALF, 'kitakyushu')).toEqual(['conflict', 'regionId']);
    expect(refusal(DAY + 11 * HALF)).toBeNull();
  });

  it('replaces a move planned at or after its own start', () => {
    const back = planWithMove(moved, { regionId: 'oita', from: DAY + 11 * HALF }, NOW, HALF);
    expect(back).toEqual([
      { regionId: 'kitakyushu', from: null },
      { regionId: 'oita', from: DAY + 11 * HALF },
    ]);
  });

  it('leaves every instant in exactly one stay, whatever the moves (property)', () => {
    const regions = ['a', 'b', 'c'];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 11, max: 200 }), fc.constantFrom(...regions)), { maxLength: 6 }), (moves) => {
        let plan: RegionPeriod[] = [{ regionId: 'a', from: null }];
        for (const [slot, regionId] of moves) {
          try {
            plan = planWithMove(plan, { regionId, from: DAY + slot * HALF }, NOW, HALF);
          } catch (error) {
            if (!(error instanceof DomainError)) throw error;
          }
        }
        for (let slot = 0; slot < 210; slot += 7) {
          const at = DAY + slot * HALF;
          const holding = regions.filter((r) => staysIn(plan, r, DAY, DAY + 210 * HALF).some((s) => s.from <= at && at < s.to));
          expect(holding).toEqual([regionAt(plan, at)]);
        }
      }),
    );
  });
});

describe('a meter changing cohort', () => {
  it('joins a cohort from an interval start, and may leave every cohort', () => {
    const joined = planWithCohort([{ cohort: null, from: null }], { cohort: 'trial', from: DAY + 12 * HALF }, NOW, HALF);
    expect([cohortAt(joined, DAY), cohortAt(joined, DAY + 12 * HALF)]).toEqual([null, 'trial']);
    const left = planWithCohort(joined, { cohort: null, from: DAY + 40 * HALF }, NOW, HALF);
    expect(cohortAt(left, DAY + 40 * HALF)).toBeNull();
    expect(() => planWithCohort(left, { cohort: 'trial', from: DAY + 20 * HALF }, NOW, HALF)).toThrow('already in cohort "trial"');
    expect(() => planWithCohort(left, { cohort: 'control', from: DAY + 5 * HALF }, NOW, HALF)).toThrow('never changes retroactively');
  });
});
