// The figures of one measured phase (sends, deliveries, a backlog drain), as `tributary bench
// --json` and the peers benchmark both report them, so the two read side by side.
import { BYTES_PER_MB, MS_PER_SECOND } from './bench-constants.js';
import type { MeterTotals } from './bench-meter.js';
import type { LatencySummary } from './latency-histogram.js';

export interface PhaseResult {
  readonly messages: number;
  readonly bytes: number;
  readonly failures: number;
  readonly elapsedMs: number;
  readonly msgsPerSec: number;
  readonly mbPerSec: number;
  /** What the latency figures measure, in words. */
  readonly latencyMeasures: string;
  readonly latencyMs: LatencySummary;
}

export function phaseResult(totals: MeterTotals, latencyMeasures: string): PhaseResult {
  const seconds = totals.elapsedMs / MS_PER_SECOND;
  return {
    messages: totals.messages,
    bytes: totals.bytes,
    failures: totals.failures,
    elapsedMs: totals.elapsedMs,
    msgsPerSec: seconds > 0 ? totals.messages / seconds : 0,
    mbPerSec: seconds > 0 ? totals.bytes / BYTES_PER_MB / seconds : 0,
    latencyMeasures,
    latencyMs: totals.latency,
  };
}
