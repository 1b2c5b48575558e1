// The messaging benchmarks of `npm run bench:e2e`, as data: each trial is one `tributary bench`
// run (a process of its own, which starts its own broker in a child process), with the issue's
// goals for its figures. Goals are targets to report against, not pass/fail tests: a missed goal
// is printed and saved, and the run still succeeds. The floor trials measure bare loopback TCP
// between two Node processes in the same rounds, so each produce figure also comes as a
// fraction of what the transport allows at that moment on this machine.

export interface E2eGoal {
  /** Dotted path into the run's JSON summary. */
  readonly metric: string;
  readonly op: '>=' | '<';
  readonly value: number;
  readonly label: string;
}

export interface E2eTrial {
  readonly id: string;
  readonly title: string;
  /** 'tributary' (default): `tributary bench <args>`; 'tcp-floor': `tcp-floor.js <args>`. */
  readonly runner?: 'tributary' | 'tcp-floor';
  /** Arguments after `tributary bench` (or of tcp-floor.js). */
  readonly args: readonly string[];
  /** `--quick` replaces these arguments (shorter runs; figures not comparable). */
  readonly quickArgs: readonly string[];
  /** The figure shown first, and the one whose median picks a trial's reported round. */
  readonly headline: string;
  readonly goals: readonly E2eGoal[];
  /** Run only when named with --only (variants that explain a figure; no goals). */
  readonly optional?: boolean;
  /** The transport floor this trial's headline is set against, per round (trial / floor). */
  readonly floor?: { readonly trial: string; readonly metric: string };
}

const MSGS_PER_SEC = 'result.msgsPerSec';
const BROKER_LOOP_P99 = 'broker.report.process.eventLoopDelayMs.p99';
const MEASURE_10S = ['--duration-s', '10', '--warmup-s', '3'];
const QUICK_3S = ['--duration-s', '3', '--warmup-s', '1'];

/** A `tributary bench` run measured for 10 s after a 3 s warm-up (--quick: 3 s after 1 s). */
function timed(args: readonly string[]): Pick<E2eTrial, 'args' | 'quickArgs'> {
  return { args: [...args, ...MEASURE_10S], quickArgs: [...args, ...QUICK_3S] };
}

/** The goal of a throughput figure: at least `value` msgs/s. */
function atLeastMsgsPerSec(value: number): E2eGoal {
  return { metric: MSGS_PER_SEC, op: '>=', value, label: `>= ${value.toLocaleString('en-US')} msgs/s` };
}

const FLOOR_PING_PONG = 'result.pingPongRoundTripsPerSec';
const FLOOR_BATCHED = 'result.batchedMsgsPerSec';

export const E2E_TRIALS: readonly E2eTrial[] = [
  {
    id: 'floor-tcp-100b',
    title: 'transport floor: two Node processes over loopback TCP, no broker (100 B)',
    runner: 'tcp-floor',
    args: ['--size', '100', '--duration-s', '5'],
    quickArgs: ['--size', '100', '--duration-s', '2'],
    headline: FLOOR_PING_PONG,
    goals: [],
  },
  {
    id: 'floor-tcp-1k',
    title: 'transport floor: two Node processes over loopback TCP, no broker (1 KiB)',
    runner: 'tcp-floor',
    args: ['--size', '1024', '--duration-s', '5'],
    quickArgs: ['--size', '1024', '--duration-s', '2'],
    headline: FLOOR_BATCHED,
    goals: [],
  },
  {
    id: 'produce-100b-inflight1000',
    title: 'produce 100 B, 1,000 sends in flight, one producer',
    ...timed(['produce', '--size', '100', '--in-flight', '1000']),
    headline: MSGS_PER_SEC,
    goals: [
      atLeastMsgsPerSec(500_000),
      { metric: BROKER_LOOP_P99, op: '<', value: 2, label: 'broker event loop p99 delay < 2 ms' },
    ],
    floor: { trial: 'floor-tcp-100b', metric: FLOOR_BATCHED },
  },
  {
    id: 'produce-1k-inflight1000',
    title: 'produce 1 KiB, 1,000 sends in flight, one producer',
    ...timed(['produce', '--size', '1024', '--in-flight', '1000']),
    headline: MSGS_PER_SEC,
    goals: [atLeastMsgsPerSec(250_000)],
    floor: { trial: 'floor-tcp-1k', metric: FLOOR_BATCHED },
  },
  {
    id: 'produce-100b-inflight1',
    title: 'produce 100 B, each send awaited (1 in flight)',
    ...timed(['produce', '--size', '100', '--in-flight', '1']),
    headline: MSGS_PER_SEC,
    goals: [atLeastMsgsPerSec(15_000)],
    floor: { trial: 'floor-tcp-100b', metric: FLOOR_PING_PONG },
  },
  {
    id: 'consume-100b-backlog1m',
    title: 'consume a 1,000,000-message backlog of 100 B, one consumer, the client default pull batch (128)',
    args: ['consume', '--size', '100', '--count', '1000000'],
    quickArgs: ['consume', '--size', '100', '--count', '200000'],
    headline: MSGS_PER_SEC,
    goals: [atLeastMsgsPerSec(800_000)],
  },
  {
    id: 'e2e-100b-rate5000',
    title: 'end-to-end latency at 5,000 msgs/s of 100 B (send() call to handler)',
    ...timed(['e2e', '--size', '100', '--rate', '5000']),
    headline: 'result.latencyMs.p99Ms',
    goals: [
      { metric: 'result.latencyMs.p99Ms', op: '<', value: 1, label: 'p99 < 1 ms' },
      { metric: 'result.latencyMs.p999Ms', op: '<', value: 5, label: 'p99.9 < 5 ms' },
    ],
  },
  {
    id: 'consume-100b-backlog1m-pull256',
    title: 'consume variant: pull batch 256 (shows how much of the consume figure is per-pull cost)',
    args: ['consume', '--size', '100', '--count', '1000000', '--pull-batch', '256'],
    quickArgs: ['consume', '--size', '100', '--count', '200000', '--pull-batch', '256'],
    headline: MSGS_PER_SEC,
    goals: [],
    optional: true,
  },
  {
    id: 'produce-100b-inflight1000-sync',
    title: 'produce variant: 100 B, 1,000 in flight, broker flush sync',
    ...timed(['produce', '--size', '100', '--in-flight', '1000', '--flush', 'sync']),
    headline: MSGS_PER_SEC,
    goals: [],
    optional: true,
  },
];
