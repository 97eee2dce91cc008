/**
 * A table that is also an outbox: rows written in the transaction that made them, published to
 * the stream after commit by one drainer (claim for a lease → produce with no transaction open
 * → mark; a failed produce gives the claim back). Claims are leases, so a replica that dies
 * mid-way leaves its rows to the next once the lease ends.
 */
export interface OutboxRepository<T> {
  claim(claimant: string, nowMs: number, leaseMs: number, limit?: number): Promise<T[]>;
  markPublished(items: T[], claimant: string, nowMs: number): Promise<void>;
  release(items: T[], claimant: string): Promise<void>;
}
