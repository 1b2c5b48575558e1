// The signatures of recent requests from accounts with `requireSignedCode`, so the same signed
// request sent twice within the clock window is refused the second time. Tributary's client
// signs a nonce into every request, so no two of its requests share a signature. Bounded: an
// entry lives until its request's time leaves the window, and past
// SIGNATURE_REPLAY_CACHE_ENTRIES_MAX the oldest are dropped (README says what that costs).
import { SIGNATURE_REPLAY_CACHE_ENTRIES_MAX, SIGNED_REQUEST_CLOCK_SKEW_MS_MAX } from '../broker-constants.js';

export class SignatureReplayCache {
  /** Signature -> when it may be forgotten (its signed time + the window); insertion order. */
  private readonly expiries = new Map<string, number>();

  constructor(private readonly entriesMax: number = SIGNATURE_REPLAY_CACHE_ENTRIES_MAX) {}

  /** True when `signature` was seen before (a replay); otherwise remembers it. */
  seen(signature: string, signedAtMs: number, nowMs: number): boolean {
    this.forgetExpired(nowMs);
    if (this.expiries.has(signature)) return true;
    this.expiries.set(signature, signedAtMs + SIGNED_REQUEST_CLOCK_SKEW_MS_MAX);
    if (this.expiries.size > this.entriesMax) this.expiries.delete(this.expiries.keys().next().value!);
    return false;
  }

  get size(): number {
    return this.expiries.size;
  }

  /** Drops expired entries from the oldest on, stopping at the first live one (cheap per call). */
  private forgetExpired(nowMs: number): void {
    for (const [signature, expiry] of this.expiries) {
      if (expiry >= nowMs) return;
      this.expiries.delete(signature);
    }
  }
}
