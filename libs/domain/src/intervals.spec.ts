import { assignInterval, isClosableByWatermark, isClosableWhenIdle } from './intervals';

const T = (h: number, m = 0, s = 0) => Date.UTC(2013, 11, 2, h, m, s);

describe('assignInterval', () => {
  it('puts a reading that ends at 00:30 in [00:00, 00:30), since ts is the end of the period', () => {
    expect(assignInterval(T(0, 30), 1800)).toEqual({ start: T(0), end: T(0, 30) });
  });

  it('puts a reading ending one millisecond later in the next interval', () => {
    expect(assignInterval(T(0, 30) + 1, 1800)).toEqual({ start: T(0, 30), end: T(1) });
  });
});

describe('closing rules', () => {
  it('closes by watermark only once event time passes end + lateness', () => {
    expect(isClosableByWatermark(T(1), T(1, 4, 59), 300_000)).toBe(false);
    expect(isClosableByWatermark(T(1), T(1, 5), 300_000)).toBe(true);
  });

  it('closes a quiet region by the wall clock, but not while readings keep arriving', () => {
    const end = T(1);
    expect(isClosableWhenIdle(end, 300_000, T(1, 10), T(1, 10, 20), 30_000)).toBe(false); // 20 s quiet
    expect(isClosableWhenIdle(end, 300_000, T(1, 10), T(1, 10, 30), 30_000)).toBe(true);
    expect(isClosableWhenIdle(end, 300_000, T(1, 0), T(1, 4), 30_000)).toBe(false); // lateness not over
  });
});
