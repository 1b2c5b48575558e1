// Latencies of a peer's workload, in microseconds, summarised with the same fields as
// `tributary bench --json` (cli/bench/latency-histogram.ts), so the two read side by side. It wraps
// perf_hooks' HdrHistogram (3 significant figures) rather than importing cli/: native-bench
// may not import cli/ (test/tidy.test.ts). A record is one call into C++, well under a
// microsecond, which the peers' per-message cost (tens of microseconds) does not notice.
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

export interface LatencySummary {
  readonly count: number;
  readonly minMs: number;
  readonly avgMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

const US_PER_MS = 1000;
/** The histogram's range: 1 µs to 10 minutes. */
const VALUE_MAX_US = 600_000_000;
const SIGNIFICANT_FIGURES = 3;

export class LatencyRecorder {
  private histogram: RecordableHistogram = createHistogram({
    lowest: 1,
    highest: VALUE_MAX_US,
    figures: SIGNIFICANT_FIGURES,
  });

  get count(): number {
    return this.histogram.count;
  }

  record(microseconds: number): void {
    this.histogram.record(Math.min(VALUE_MAX_US, Math.max(1, Math.round(microseconds))));
  }

  reset(): void {
    this.histogram.reset();
  }

  summary(): LatencySummary {
    const h = this.histogram;
    if (h.count === 0) return { count: 0, minMs: 0, avgMs: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 };
    const ms = (us: number): number => us / US_PER_MS;
    return {
      count: h.count,
      minMs: ms(h.min),
      avgMs: ms(h.mean),
      p50Ms: ms(h.percentile(50)),
      p95Ms: ms(h.percentile(95)),
      p99Ms: ms(h.percentile(99)),
      p999Ms: ms(h.percentile(99.9)),
      maxMs: ms(h.max),
    };
  }
}
