// When a benchmark's load starts measuring and when it stops: a warm-up of fixed length, then
// either a number of measured messages (count mode) or a measured time (duration mode), or an
// early stop (Ctrl-C, a failure). Load generators ask `next()` before each unit of work; the
// answer says whether to start it and whether it counts.
import { performance } from 'node:perf_hooks';

import type { BenchMeter } from './bench-meter.js';

export type WorkVerdict = 'warmup' | 'measured' | 'stop';

export interface SchedulePlan {
  readonly warmupMs: number;
  readonly count: number | undefined;
  readonly durationMs: number | undefined;
}

export class BenchSchedule {
  private claimed = 0;
  private stopped = false;
  /** Duration mode: set by a timer when the measured time is up (no clock read per claim). */
  private timeUp = false;
  private warmupTimer: NodeJS.Timeout | undefined;
  private durationTimer: NodeJS.Timeout | undefined;
  private measuringListener: () => void = () => undefined;
  private readonly startedAt = performance.now();

  constructor(
    private readonly meter: BenchMeter,
    readonly plan: SchedulePlan,
  ) {}

  /** Starts the warm-up; `onMeasuring` runs the moment measuring begins. */
  start(onMeasuring: () => void): void {
    this.measuringListener = onMeasuring;
    if (this.plan.warmupMs <= 0) return this.beginMeasuring();
    this.warmupTimer = setTimeout(() => this.beginMeasuring(), this.plan.warmupMs);
  }

  /** Whether the next unit of work may start, and whether it is measured. */
  next(): WorkVerdict {
    if (this.stopped) return 'stop';
    if (!this.meter.measuring) return 'warmup';
    if (this.plan.count !== undefined) {
      if (this.claimed >= this.plan.count) return 'stop';
      this.claimed++;
      return 'measured';
    }
    return this.timeUp ? 'stop' : 'measured';
  }

  /** Whether the measured part is over (count reached or time up) or the run was stopped. */
  get finished(): boolean {
    if (this.stopped) return true;
    if (!this.meter.measuring) return false;
    if (this.plan.count !== undefined) return this.meter.measuredMessages >= this.plan.count;
    return this.timeUp;
  }

  get warmingUp(): boolean {
    return !this.meter.measuring;
  }

  /** Progress of the measured part, 0 to 1 (0 during the warm-up). */
  get progress(): number {
    if (!this.meter.measuring) return 0;
    const fraction =
      this.plan.count !== undefined
        ? this.meter.measuredMessages / this.plan.count
        : this.measuredMs() / (this.plan.durationMs ?? 1);
    return Math.min(1, fraction);
  }

  /** Seconds since the schedule was created. */
  get elapsedS(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.warmupTimer);
    clearTimeout(this.durationTimer);
  }

  private measuredMs(): number {
    const since = this.meter.measuringStartedAt;
    return since === undefined ? 0 : performance.now() - since;
  }

  private beginMeasuring(): void {
    if (this.stopped) return;
    this.meter.startMeasuring();
    if (this.plan.count === undefined) {
      this.durationTimer = setTimeout(() => {
        this.timeUp = true;
      }, this.plan.durationMs ?? 0);
    }
    this.measuringListener();
  }
}
