/**
 * A token bucket per client: `rate` PUBLISH packets per second sustained, `burst` at once
 * (a meter's backlog after an outage). A faster client is not dropped: its next message is
 * simply taken up later, and since aedes handles a client's packets in order, its
 * acknowledgements (and so its sending) slow down to the rate.
 */
export class PublishRateLimiter {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.updatedAt = now;
  }

  /** Milliseconds the caller should wait before handling this packet (0: at once). */
  take(now: number): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.rate);
    this.updatedAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.rate) * 1000);
  }
}
