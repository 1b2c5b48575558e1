// A benchmark phase that sends: the send load under a schedule (warm-up, then a count or a
// duration), with its once-a-second line. `bench produce` is one such phase, measured; `bench
// consume` fills its backlog with one (unmeasured: no probes, no profiles); `bench e2e` runs
// one while its consumers receive, with a line about the deliveries.
import type { Producer } from '../../client/index.js';
import type { BenchLineFields } from './bench-line.js';
import { BenchMeter } from './bench-meter.js';
import type { BenchRun } from './bench-run.js';
import { BenchSchedule, type SchedulePlan } from './bench-schedule.js';
import { BenchTicker } from './bench-ticker.js';
import type { LatencySummary } from './latency-histogram.js';
import { runSendLoad, type SendLoad } from './send-load.js';

export interface SendPhase {
  readonly label: string;
  readonly producers: readonly Producer[];
  readonly plan: SchedulePlan;
  readonly body: SendLoad['body'];
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

export async function runSendPhase(run: BenchRun, phase: SendPhase): Promise<SendPhaseOutcome> {
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
    const load = await runSendLoad({
      producers: phase.producers,
      topic: settings.topic,
      body: phase.body,
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
