// A token bucket: `ratePerS` tokens a second, holding at most `capacity` (a burst). Taking
// never allocates. A take larger than the capacity is admitted when the bucket is full and
// leaves it in debt, so the long-run rate holds for any batch size.
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    private ratePerS: number,
    private capacity: number,
    nowMs: number,
  ) {
    this.tokens = capacity;
    this.lastMs = nowMs;
  }

  /** Changes the rate at run time; the tokens held are kept (capped to the new capacity). */
  reconfigure(ratePerS: number, capacity: number): void {
    this.ratePerS = ratePerS;
    this.capacity = capacity;
    if (this.tokens > capacity) this.tokens = capacity;
  }

  /** Milliseconds until `amount` could be taken (0: it can be now). Takes nothing. */
  waitMs(amount: number, nowMs: number): number {
    this.refill(nowMs);
    const needed = Math.min(amount, this.capacity);
    if (this.tokens >= needed) return 0;
    return ((needed - this.tokens) * 1000) / this.ratePerS;
  }

  /** Takes `amount` (after waitMs said 0). */
  take(amount: number): void {
    this.tokens -= amount;
  }

  private refill(nowMs: number): void {
    const elapsed = nowMs - this.lastMs;
    if (elapsed <= 0) return;
    this.lastMs = nowMs;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.ratePerS) / 1000);
  }
}
