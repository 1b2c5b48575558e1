// Prints a benchmark phase's line once a second, and once more for the last partial second
// when the phase ends (so even a sub-second run prints one; an empty one is left out otherwise),
// keeping every line's figures for the JSON summary.
import { BYTES_PER_MB, MS_PER_SECOND } from '../../bench/bench-constants.js';
import { BENCH_REPORT_INTERVAL_MS } from './bench-constants.js';
import { benchLine, type BenchLineFields } from './bench-line.js';

export interface IntervalRecord {
  readonly label: string;
  readonly elapsedS: number;
  readonly intervalMs: number;
  readonly messages: number;
  readonly msgsPerSec: number;
  readonly mbPerSec: number;
  readonly avgMs: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly failures: number;
}

export class BenchTicker {
  private timer: NodeJS.Timeout | undefined;
  private printed = 0;

  constructor(
    private readonly write: (line: string) => void,
    /** The fields of the line now; takes (and so resets) the meter's interval. */
    private readonly fields: () => BenchLineFields,
    private readonly records: IntervalRecord[],
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.tick(), BENCH_REPORT_INTERVAL_MS);
  }

  /** Stops the timer and prints the last (partial) interval. */
  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.tick(true);
  }

  /** The last tick prints an empty interval only when it would be the phase's only line. */
  private tick(last = false): void {
    const fields = this.fields();
    const { interval } = fields;
    if (last && this.printed > 0 && interval.messages === 0 && interval.failures === 0) return;
    this.printed++;
    this.write(benchLine(fields));
    const seconds = interval.elapsedMs / MS_PER_SECOND;
    this.records.push({
      label: fields.label,
      elapsedS: Number(fields.elapsedS.toFixed(3)),
      intervalMs: Math.round(interval.elapsedMs),
      messages: interval.messages,
      msgsPerSec: seconds > 0 ? Math.round(interval.messages / seconds) : 0,
      mbPerSec: seconds > 0 ? interval.bytes / BYTES_PER_MB / seconds : 0,
      avgMs: interval.latency.avgMs,
      p99Ms: interval.latency.p99Ms,
      maxMs: interval.latency.maxMs,
      failures: interval.failures,
    });
  }
}
