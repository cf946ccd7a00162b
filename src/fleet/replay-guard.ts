/**
 * Remembers the nonces of accepted requests for as long as their timestamps are acceptable, so
 * a captured request cannot be sent again: inside the window its nonce is known, outside it its
 * timestamp is refused. Memory is bounded by the rate of valid (signed, paired) requests.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(
    /** How far a request's timestamp may be from this machine's clock, either way. */
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** `stale` outside the window, `replayed` for a nonce already used, else records it and answers `fresh`. */
  check(signer: string, nonce: string, timestampMs: number): 'fresh' | 'stale' | 'replayed' {
    const now = this.now();
    this.forgetExpired(now);
    if (Math.abs(now - timestampMs) > this.windowMs) return 'stale';
    const key = `${signer}:${nonce}`;
    if (this.seen.has(key)) return 'replayed';
    // Kept until the request's own timestamp leaves the window: after that, `stale` refuses it.
    this.seen.set(key, timestampMs + this.windowMs);
    return 'fresh';
  }

  /**
   * Drops expired nonces from the oldest on, stopping at the first live one: insertion order is
   * almost expiry order (timestamps are near "now"), so this is O(expired) per request, and a
   * nonce inserted out of order only lingers until those before it expire.
   */
  private forgetExpired(now: number): void {
    for (const [key, expiresAt] of this.seen) {
      if (expiresAt >= now) return;
      this.seen.delete(key);
    }
  }
}
