// A benchmark phase that sends: the send load under a schedule (warm-up, then a count or a
// duration), with its once-a-second line. `bench produce` is one such phase, measured; `bench
// consume` fills its backlog with one (unmeasured: no probes, no profiles); `bench e2e` runs
// one while its consumers receive, with a line about the deliveries.
import { BenchMeter } from '../../bench/bench-meter.js';
import { BenchSchedule, type SchedulePlan } from '../../bench/bench-schedule.js';
import type { LatencySummary } from '../../bench/latency-histogram.js';
import { bufferBytes, runSendLoad } from '../../bench/send-load.js';
import { Producer } from '../../client/index.js';
import { BENCH_PRODUCER_GROUP } from './bench-constants.js';
import type { BenchLineFields } from './bench-line.js';
import type { BenchRun } from './bench-run.js';
import { BenchTicker } from './bench-ticker.js';

export interface SendPhase {
  readonly label: string;
  readonly plan: SchedulePlan;
  /** The body of the next message; called just before its send. */
  readonly body: () => Buffer;
  readonly ratePerS: number | undefined;
  /** Whether this phase is the measured window (probes reset, profilers on). */
  readonly measured: boolean;
  /** The line's fields other than the send meter's; default: the sends themselves. */
  readonly line?: (send: { meter: BenchMeter; schedule: BenchSchedule; label: string }) => BenchLineFields;
  /** Runs when measuring begins (e2e starts its delivery meter here). */
  readonly onMeasuring?: () => void;
}

export interface SendPhaseOutcome {
  readonly meter: BenchMeter;
  readonly pacingLagMs: LatencySummary | undefined;
}

/** Runs `phase` with `--producers` producers of the bench group, started for it and shut down after. */
export async function runSendPhase(run: BenchRun, phase: SendPhase): Promise<SendPhaseOutcome> {
  const { nameServer } = run.broker;
  const producers = Array.from(
    { length: run.settings.producers },
    () => new Producer({ nameServer, group: BENCH_PRODUCER_GROUP }),
  );
  try {
    await Promise.all(producers.map((producer) => producer.start()));
    return await sendWith(run, phase, producers);
  } finally {
    await Promise.all(producers.map((producer) => producer.shutdown()));
  }
}

async function sendWith(run: BenchRun, phase: SendPhase, producers: readonly Producer[]): Promise<SendPhaseOutcome> {
  const { settings } = run;
  const meter = new BenchMeter();
  const schedule = new BenchSchedule(meter, phase.plan);
  const label = (): string => (schedule.warmingUp ? `${phase.label} (warmup)` : phase.label);
  const fields =
    phase.line === undefined
      ? (): BenchLineFields => ({
          label: label(),
          elapsedS: schedule.elapsedS,
          progress: schedule.progress,
          interval: meter.takeInterval(),
          flush: settings.flush,
        })
      : (): BenchLineFields => phase.line!({ meter, schedule, label: label() });
  const ticker = new BenchTicker((text) => run.write(text), fields, run.intervals);
  run.onInterrupt(() => schedule.stop());
  let measuring: Promise<void> = Promise.resolve();
  try {
    ticker.start();
    schedule.start(() => {
      phase.onMeasuring?.();
      if (phase.measured) measuring = run.beginMeasuring();
    });
    const { topic } = settings;
    const load = await runSendLoad({
      senders: producers.map((producer) => (body: Buffer) => producer.send({ topic, body })),
      message: phase.body,
      bytesOf: bufferBytes,
      inFlight: settings.inFlight,
      ratePerS: phase.ratePerS,
      meter,
      schedule,
      onError: (error) => run.noteError(error),
    });
    await measuring;
    return { meter, pacingLagMs: load.pacingLagMs };
  } finally {
    schedule.stop();
    ticker.stop();
  }
}
