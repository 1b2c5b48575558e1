// Counts what a benchmark's load did: messages, body bytes, failures and latencies, twice
// over: for the current report interval (taken and reset once a second) and for the measured
// run (reset when the warm-up ends). Outcomes of work started during the warm-up are counted in
// the interval lines but never in the measured totals, so the summary covers exactly the
// messages sent (or received) after measuring began.
import { performance } from 'node:perf_hooks';

import { LatencyHistogram, type LatencySummary } from './latency-histogram.js';

export interface MeterInterval {
  readonly elapsedMs: number;
  readonly messages: number;
  readonly bytes: number;
  readonly failures: number;
  readonly latency: LatencySummary;
}

export interface MeterTotals extends MeterInterval {
  /** From the start of measuring to the last measured outcome. */
  readonly elapsedMs: number;
}

export class BenchMeter {
  private readonly intervalLatency = new LatencyHistogram();
  private readonly totalLatency = new LatencyHistogram();
  private intervalMessages = 0;
  private intervalBytes = 0;
  private intervalFailures = 0;
  private intervalStartedAt = performance.now();
  private totalMessages = 0;
  private totalBytes = 0;
  private totalFailures = 0;
  private measuringSince: number | undefined;
  private lastOutcomeAt = 0;

  /** True once measuring has begun (after the warm-up). */
  get measuring(): boolean {
    return this.measuringSince !== undefined;
  }

  /** When measuring began (performance.now()), or undefined during the warm-up. */
  get measuringStartedAt(): number | undefined {
    return this.measuringSince;
  }

  /** Measured messages so far. */
  get measuredMessages(): number {
    return this.totalMessages;
  }

  /** Ends the warm-up: the totals start from zero now. */
  startMeasuring(): void {
    this.totalLatency.reset();
    this.totalMessages = 0;
    this.totalBytes = 0;
    this.totalFailures = 0;
    this.measuringSince = performance.now();
    this.lastOutcomeAt = this.measuringSince;
  }

  /**
   * One message done at `at` (performance.now(), which the caller has read anyway: a clock
   * read costs 50-100 ns here, too much to repeat per message at 500,000 msgs/s);
   * `measured` says whether its work began after the warm-up; `latencyUs` is undefined where
   * there is none to take (a drained backlog has no send time).
   */
  success(latencyUs: number | undefined, bytes: number, measured: boolean, at: number): void {
    this.intervalMessages++;
    this.intervalBytes += bytes;
    if (latencyUs !== undefined) this.intervalLatency.record(latencyUs);
    if (!measured) return;
    this.totalMessages++;
    this.totalBytes += bytes;
    if (latencyUs !== undefined) this.totalLatency.record(latencyUs);
    this.lastOutcomeAt = at;
  }

  failure(measured: boolean, at: number): void {
    this.intervalFailures++;
    if (!measured) return;
    this.totalFailures++;
    this.lastOutcomeAt = at;
  }

  /** The interval since the last call, and a fresh one begins. */
  takeInterval(): MeterInterval {
    const now = performance.now();
    const interval = {
      elapsedMs: now - this.intervalStartedAt,
      messages: this.intervalMessages,
      bytes: this.intervalBytes,
      failures: this.intervalFailures,
      latency: this.intervalLatency.summary(),
    };
    this.intervalLatency.reset();
    this.intervalMessages = 0;
    this.intervalBytes = 0;
    this.intervalFailures = 0;
    this.intervalStartedAt = now;
    return interval;
  }

  totals(): MeterTotals {
    return {
      elapsedMs: this.measuringSince === undefined ? 0 : this.lastOutcomeAt - this.measuringSince,
      messages: this.totalMessages,
      bytes: this.totalBytes,
      failures: this.totalFailures,
      latency: this.totalLatency.summary(),
    };
  }
}
