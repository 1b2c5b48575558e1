// What a peer workload counts, and when: a warm-up that runs the same load uncounted, then a
// measured window (a duration, or until the caller ends it), as `tributary bench` does (see
// cli/bench/bench-schedule.ts and cli/bench/bench-meter.ts, which native-bench may not import). Work
// started during the warm-up is never counted, even if it completes later; the measured
// elapsed time runs from the start of measuring to the last measured outcome, so sends still
// in flight when the duration ends are waited for and counted, as Tributary's are.
import { performance } from 'node:perf_hooks';

import { LatencyRecorder, type LatencySummary } from './latency-recorder.js';

export type WindowPhase = 'warmup' | 'measured' | 'stop';

export interface WindowPlan {
  readonly warmupMs: number;
  /** Undefined: measuring lasts until `stop()`. */
  readonly durationMs: number | undefined;
}

export interface PhaseResult {
  readonly messages: number;
  readonly bytes: number;
  readonly failures: number;
  readonly elapsedMs: number;
  readonly msgsPerSec: number;
  readonly mbPerSec: number;
  readonly latencyMeasures: string;
  readonly latencyMs: LatencySummary;
}

const MS_PER_SECOND = 1000;
/** MB/s figures are 10^6 bytes of bodies per second, as Tributary's. */
const BYTES_PER_MB = 1_000_000;

export class MeasuredWindow {
  phase: WindowPhase = 'warmup';
  readonly latency = new LatencyRecorder();
  private messages = 0;
  private bytes = 0;
  private failures = 0;
  private measuringSince = 0;
  private lastOutcomeAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly onMeasuring: () => void = () => undefined) {}

  get stopped(): boolean {
    return this.phase === 'stop';
  }

  get measuredMessages(): number {
    return this.messages;
  }

  /** Runs the warm-up, then measures for the plan's duration (or until `stop()`). */
  start(plan: WindowPlan): void {
    const begin = (): void => {
      this.beginMeasuring();
      if (plan.durationMs !== undefined) this.timer = setTimeout(() => this.stop(), plan.durationMs);
    };
    if (plan.warmupMs <= 0) begin();
    else this.timer = setTimeout(begin, plan.warmupMs);
  }

  beginMeasuring(): void {
    if (this.phase !== 'warmup') return;
    this.phase = 'measured';
    this.measuringSince = performance.now();
    this.lastOutcomeAt = this.measuringSince;
    this.onMeasuring();
  }

  /** No new work starts from now on. */
  stop(): void {
    this.phase = 'stop';
    clearTimeout(this.timer);
  }

  /** One message done at `at` (performance.now()); counted when its work began measured. */
  success(latencyUs: number | undefined, bytes: number, measured: boolean, at: number): void {
    if (!measured) return;
    this.messages++;
    this.bytes += bytes;
    if (latencyUs !== undefined) this.latency.record(latencyUs);
    this.lastOutcomeAt = at;
  }

  failure(measured: boolean, at: number): void {
    if (!measured) return;
    this.failures++;
    this.lastOutcomeAt = at;
  }

  result(latencyMeasures: string): PhaseResult {
    const elapsedMs = this.lastOutcomeAt - this.measuringSince;
    const seconds = elapsedMs / MS_PER_SECOND;
    return {
      messages: this.messages,
      bytes: this.bytes,
      failures: this.failures,
      elapsedMs,
      msgsPerSec: seconds > 0 ? this.messages / seconds : 0,
      mbPerSec: seconds > 0 ? this.bytes / BYTES_PER_MB / seconds : 0,
      latencyMeasures,
      latencyMs: this.latency.summary(),
    };
  }
}
