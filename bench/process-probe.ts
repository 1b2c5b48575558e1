// How a process fared while a benchmark ran: event-loop delay (perf_hooks
// monitorEventLoopDelay), CPU time, garbage-collection pauses and memory. Both sides use it:
// the broker child reports it on request, the benchmark reports its own, so a figure can be
// read against which side was saturated.
//
// monitorEventLoopDelay fires a timer every EVENT_LOOP_RESOLUTION_MS and records the time
// between two firings, so an idle loop records the period itself (1.0-1.2 ms at 1 ms); the
// period is subtracted here, leaving how late the timer was: the delay any callback waiting
// on the loop would have seen.
import { PerformanceObserver, monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';

import { EVENT_LOOP_RESOLUTION_MS } from './bench-constants.js';

export interface ProcessReport {
  readonly elapsedMs: number;
  /** Event-loop delay beyond the monitor's own period. */
  readonly eventLoopDelayMs: {
    readonly p50: number;
    readonly p99: number;
    readonly p999: number;
    readonly max: number;
    readonly mean: number;
    readonly samples: number;
  };
  /** User + system CPU time over elapsed time: 100 = one core busy all along. */
  readonly cpuPercent: number;
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
  readonly gcPauseMs: number;
  readonly gcCount: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
}

const NS_PER_MS = 1e6;
const US_PER_MS = 1000;
const PERCENT = 100;

export class ProcessProbe {
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  private readonly gcObserver: PerformanceObserver;
  private cpuAtStart = process.cpuUsage();
  private startedAt = performance.now();
  private gcPauseMs = 0;
  private gcCount = 0;

  constructor() {
    this.gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        this.gcPauseMs += entry.duration;
        this.gcCount++;
      }
    });
    this.gcObserver.observe({ entryTypes: ['gc'] });
    this.delay.enable();
  }

  /** Starts a fresh measurement. */
  reset(): void {
    this.delay.reset();
    this.cpuAtStart = process.cpuUsage();
    this.startedAt = performance.now();
    this.gcPauseMs = 0;
    this.gcCount = 0;
  }

  report(): ProcessReport {
    const elapsedMs = performance.now() - this.startedAt;
    const cpu = process.cpuUsage(this.cpuAtStart);
    const memory = process.memoryUsage();
    const late = (ns: number): number =>
      this.delay.count === 0 ? 0 : Math.max(0, ns / NS_PER_MS - EVENT_LOOP_RESOLUTION_MS);
    return {
      elapsedMs,
      eventLoopDelayMs: {
        p50: late(this.delay.percentile(50)),
        p99: late(this.delay.percentile(99)),
        p999: late(this.delay.percentile(99.9)),
        max: late(this.delay.max),
        mean: late(this.delay.mean),
        samples: this.delay.count,
      },
      cpuPercent: elapsedMs > 0 ? ((cpu.user + cpu.system) / US_PER_MS / elapsedMs) * PERCENT : 0,
      cpuUserMs: cpu.user / US_PER_MS,
      cpuSystemMs: cpu.system / US_PER_MS,
      gcPauseMs: this.gcPauseMs,
      gcCount: this.gcCount,
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
    };
  }

  close(): void {
    this.delay.disable();
    this.gcObserver.disconnect();
  }
}
