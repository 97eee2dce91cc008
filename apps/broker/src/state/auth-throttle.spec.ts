import { MemoryAuthThrottle } from './auth-throttle';

describe('MemoryAuthThrottle', () => {
  it('charges a flood of simultaneous attempts one by one, so all but the first few see the limit', async () => {
    const throttle = new MemoryAuthThrottle(() => 0);
    const counts = await Promise.all(Array.from({ length: 300 }, () => throttle.charge(['id:m1', 'ip:10.0.0.1'])));
    expect(counts.map(([id]) => id).sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(counts.filter(([id]) => id <= 5)).toHaveLength(5);
  });

  it('reads counts without charging', async () => {
    const throttle = new MemoryAuthThrottle(() => 0);
    await throttle.charge(['ip:10.0.0.1']);
    expect(await throttle.counts(['ip:10.0.0.1', 'ip:10.0.0.2'])).toEqual([1, 0]);
    expect(await throttle.counts(['ip:10.0.0.1'])).toEqual([1]);
  });

  it('gives back the attempt of a right password, and lets one probe through per interval', async () => {
    let now = 0;
    const throttle = new MemoryAuthThrottle(() => now);
    await throttle.charge(['id:m1']);
    await throttle.refund(['id:m1']);
    expect(await throttle.charge(['id:m1'])).toEqual([1]);
    expect(await throttle.takeProbe('id:m1', 5000)).toBe(true);
    expect(await throttle.takeProbe('id:m1', 5000)).toBe(false);
    now = 5001;
    expect(await throttle.takeProbe('id:m1', 5000)).toBe(true);
    now = 61_000;
    expect(await throttle.charge(['id:m1'])).toEqual([1]); // a new window
  });

  it('remembers a failed secret for the window, and only that one', async () => {
    let now = 0;
    const throttle = new MemoryAuthThrottle(() => now);
    await throttle.rememberFailure('digest-a');
    expect(await throttle.failedRecently('digest-a')).toBe(true);
    expect(await throttle.failedRecently('digest-b')).toBe(false);
    now = 60_001;
    expect(await throttle.failedRecently('digest-a')).toBe(false);
  });

  it('keeps its memory of failures bounded under a flood of distinct guesses', async () => {
    const throttle = new MemoryAuthThrottle(() => 0);
    for (let i = 0; i < 150_000; i++) await throttle.rememberFailure(`guess-${i}`);
    expect(await throttle.failedRecently('guess-149999')).toBe(true);
    expect(await throttle.failedRecently('guess-0')).toBe(false); // the oldest forgotten, not the newest
  });
});
