// The clock and per-millisecond sequence under snowflake ids and order numbers: each call
// answers a (millisecond, sequence) pair never answered before by this clock.
//
// - Same millisecond: the sequence counts up; when it is full, the clock waits (spins) for the
//   next millisecond.
// - Clock behind the last millisecond used (NTP stepped it back): it waits, spinning, up to
//   `backwardsWaitMsMax` (measured on the monotonic clock) for the wall clock to catch up, and
//   past that refuses with CLOCK_MOVED_BACKWARDS. It never reuses a millisecond with a sequence
//   already answered, so it never answers a duplicate.
// Spinning keeps next() synchronous: the waits are bounded by a millisecond or the bound.
import { performance } from 'node:perf_hooks';

import { ClientError } from '../client-error.js';

/** A clock behind the last millisecond used by at most this is waited for (Leaf waits up to 5 ms). */
export const CLOCK_BACKWARDS_WAIT_MS_MAX_DEFAULT = 5;

/** The size of a SequenceClock's millisecond, and its clocks (injectable for tests). */
export interface SequenceClockOptions {
  /** Sequences per millisecond (2^sequenceBits, or 10^digits). */
  readonly sequencesPerMs: number;
  /** How long a clock stepped back is waited for (default CLOCK_BACKWARDS_WAIT_MS_MAX_DEFAULT). */
  readonly backwardsWaitMsMax?: number;
  /** The wall clock, ms (default Date.now); tests inject one that goes backwards. */
  readonly wallClock?: () => number;
  /** A clock that never goes backwards, ms (default performance.now), to bound the waits. */
  readonly monotonicClock?: () => number;
}

/**
 * The millisecond and per-millisecond sequence under snowflake ids and order numbers: never
 * answers a pair twice, also when the wall clock steps back (it waits briefly, then refuses with
 * CLOCK_MOVED_BACKWARDS). Spins instead of sleeping so that next() stays synchronous.
 */
export class SequenceClock {
  /** The millisecond of the last answer. */
  lastMs = -1;
  /** The sequence of the last answer. */
  sequence = 0;
  private readonly limit: number;
  private readonly backwardsWaitMsMax: number;
  private readonly wallClock: () => number;
  private readonly monotonicClock: () => number;

  constructor(options: SequenceClockOptions) {
    this.limit = options.sequencesPerMs;
    this.backwardsWaitMsMax = options.backwardsWaitMsMax ?? CLOCK_BACKWARDS_WAIT_MS_MAX_DEFAULT;
    this.wallClock = options.wallClock ?? Date.now;
    this.monotonicClock = options.monotonicClock ?? (() => performance.now());
  }

  /** Moves to the next unused (lastMs, sequence); returns true when the millisecond changed. */
  tick(): boolean {
    let now = this.wallClock();
    if (now === this.lastMs) {
      if (++this.sequence < this.limit) return false;
      now = this.waitPast(this.lastMs);
    } else if (now < this.lastMs) {
      now = this.waitPast(this.lastMs - 1);
      if (now === this.lastMs) {
        if (++this.sequence < this.limit) return false;
        now = this.waitPast(this.lastMs);
      }
    }
    this.lastMs = now;
    this.sequence = 0;
    return true;
  }

  /** Spins until the wall clock is past `ms`; CLOCK_MOVED_BACKWARDS after the bound. */
  private waitPast(ms: number): number {
    const started = this.monotonicClock();
    for (;;) {
      const now = this.wallClock();
      if (now > ms) return now;
      // Waiting for the next millisecond is normal; only a clock behind lastMs counts against the bound.
      if (now < this.lastMs && this.monotonicClock() - started > this.backwardsWaitMsMax) {
        throw new ClientError(
          'CLOCK_MOVED_BACKWARDS',
          `the clock reads ${now}, ${this.lastMs - now} ms behind the last id's ${this.lastMs}; waited ${this.backwardsWaitMsMax} ms`,
        );
      }
    }
  }
}
