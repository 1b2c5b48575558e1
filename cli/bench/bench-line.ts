// The once-a-second line of a benchmark, in the spirit of RocketMQ's tool ("Send TPS | Max RT |
// Average RT | Send Failed") and kafka-producer-perf-test ("records/sec (MB/sec), avg latency,
// max latency"), with a progress bar in front and the durability mode at the end:
//
//   produce      4.0s [####------]  40%    512,345 msgs/s   51.23 MB/s  latency ms avg 1.820 p99 4.100 max 9.310  failed 0  flush async
//
// The label says which phase the line is about ("produce (warmup)", "fill", "e2e"); MB are
// 10^6 bytes of message bodies; latency is over the messages completed in that second.
import { BYTES_PER_MB, MS_PER_SECOND } from '../../bench/bench-constants.js';
import { BENCH_PROGRESS_BAR_CHARS } from './bench-constants.js';
import type { MeterInterval } from '../../bench/bench-meter.js';

const LABEL_CHARS = 18;
const PERCENT = 100;

export interface BenchLineFields {
  readonly label: string;
  readonly elapsedS: number;
  /** 0 to 1; undefined when the phase has no known end. */
  readonly progress: number | undefined;
  readonly interval: MeterInterval;
  readonly flush: string;
  /** Extra words before the flush mode (e2e: how many were sent). */
  readonly extra?: string;
}

/** The line's pattern, for tests and scripts reading the output. */
export const BENCH_LINE_PATTERN =
  /^\S.{0,30}\s+\d+\.\ds \[[#-]+\]\s+\d+%\s+[\d,]+ msgs\/s\s+\d+\.\d+ MB\/s {2}latency ms avg \d+\.\d+ p99 \d+\.\d+ max \d+\.\d+ {2}failed \d+ .*flush \w+$/;

export function benchLine(fields: BenchLineFields): string {
  const { interval } = fields;
  const seconds = interval.elapsedMs / MS_PER_SECOND;
  const perSecond = seconds > 0 ? interval.messages / seconds : 0;
  const megabytesPerSecond = seconds > 0 ? interval.bytes / BYTES_PER_MB / seconds : 0;
  const { latency } = interval;
  return [
    fields.label.padEnd(LABEL_CHARS),
    `${fields.elapsedS.toFixed(1).padStart(6)}s`,
    ` ${progressBar(fields.progress ?? 0)} ${String(Math.floor((fields.progress ?? 0) * PERCENT)).padStart(3)}%`,
    `  ${Math.round(perSecond).toLocaleString('en-US').padStart(10)} msgs/s`,
    `  ${megabytesPerSecond.toFixed(2).padStart(8)} MB/s`,
    `  latency ms avg ${milliseconds(latency.avgMs)} p99 ${milliseconds(latency.p99Ms)} max ${milliseconds(latency.maxMs)}`,
    `  failed ${interval.failures}`,
    fields.extra === undefined ? '' : `  ${fields.extra}`,
    `  flush ${fields.flush}`,
  ].join('');
}

export function progressBar(fraction: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * BENCH_PROGRESS_BAR_CHARS);
  return `[${'#'.repeat(filled)}${'-'.repeat(BENCH_PROGRESS_BAR_CHARS - filled)}]`;
}

/** Three decimals below 10 ms, one above: sub-millisecond goals need the former. */
export function milliseconds(value: number): string {
  return value < 10 ? value.toFixed(3) : value.toFixed(1);
}
