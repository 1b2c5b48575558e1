// The measuring loop of the sync trials, for every engine: `appenders` closed-loop appenders,
// each awaiting a durable append before its next, through the send load and meter of
// `tributary bench` (bench/), over a warm-up and then a measured window. Counted are the
// appends started after the warm-up; the measured time runs from the start of measuring to the
// last of them completing, so appends in flight when the window closes are waited for.
import { BenchMeter } from '../../bench/bench-meter.js';
import { BenchSchedule } from '../../bench/bench-schedule.js';
import { MS_PER_SECOND } from '../../bench/bench-constants.js';
import { runSendLoad } from '../../bench/send-load.js';
import { num, type Params } from './trial-types.js';

export interface TimedAppenders {
  /** Appends message number `n` durably; resolves when it is. */
  readonly append: (n: number) => Promise<unknown>;
  readonly bodyBytes: number;
  /** Runs when measuring begins (engines reset their own counters here). */
  readonly onMeasuring?: () => void;
}

export interface TimedAppendersOutcome {
  readonly metrics: {
    readonly msgsPerSec: number;
    readonly bodyBytesPerSec: number;
    readonly latencyP50Ms: number;
    readonly latencyP99Ms: number;
    readonly latencyMaxMs: number;
  };
  readonly completed: number;
  readonly seconds: number;
}

/** Runs `params.appenders` appenders for `params.warmupMs`, then `params.durationMs` measured. */
export async function runTimedAppenders(params: Params, appenders: TimedAppenders): Promise<TimedAppendersOutcome> {
  const meter = new BenchMeter();
  const schedule = new BenchSchedule(meter, {
    warmupMs: num(params, 'warmupMs'),
    count: undefined,
    durationMs: num(params, 'durationMs'),
  });
  let n = 0;
  let failure: unknown;
  schedule.start(() => appenders.onMeasuring?.());
  await runSendLoad({
    senders: [appenders.append],
    message: () => n++,
    bytesOf: () => appenders.bodyBytes,
    inFlight: num(params, 'appenders'),
    ratePerS: undefined,
    meter,
    schedule,
    onError: (error) => {
      failure ??= error;
      schedule.stop();
    },
  });
  schedule.stop();
  if (failure !== undefined) throw failure;
  const totals = meter.totals();
  const seconds = totals.elapsedMs / MS_PER_SECOND;
  const msgsPerSec = seconds > 0 ? totals.messages / seconds : 0;
  return {
    metrics: {
      msgsPerSec,
      bodyBytesPerSec: msgsPerSec * appenders.bodyBytes,
      latencyP50Ms: totals.latency.p50Ms,
      latencyP99Ms: totals.latency.p99Ms,
      latencyMaxMs: totals.latency.maxMs,
    },
    completed: totals.messages,
    seconds,
  };
}
