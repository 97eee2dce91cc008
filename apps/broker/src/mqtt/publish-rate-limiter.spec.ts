import { PublishRateLimiter } from './publish-rate-limiter';

describe('PublishRateLimiter', () => {
  it('lets a burst through at once, then spaces packets at the rate', () => {
    const limiter = new PublishRateLimiter(10, 3, 0);
    expect([limiter.take(0), limiter.take(0), limiter.take(0)]).toEqual([0, 0, 0]);
    expect(limiter.take(0)).toBe(100); // one token short at 10/s
    expect(limiter.take(0)).toBe(200);
  });

  it('refills with time, up to the burst', () => {
    const limiter = new PublishRateLimiter(10, 3, 0);
    for (let i = 0; i < 3; i++) limiter.take(0);
    expect(limiter.take(1000)).toBe(0); // a second later the bucket is full again
    expect(limiter.take(1000)).toBe(0);
    expect(limiter.take(1000)).toBe(0);
    expect(limiter.take(1000)).toBeGreaterThan(0);
  });
});
