// Defaults and limits of `tributary bench`, each with its unit in its name. The figures the
// benchmarks are held to (the goals) live with the benchmark set in
// native-bench/e2e-trials.ts, not here: the command measures, it does not judge.

/** RocketMQ's benchmark tool sends to BenchmarkTest; ours to a topic of the same spirit. */
export const BENCH_TOPIC_DEFAULT = 'BenchTopic';
export const BENCH_PRODUCER_GROUP = 'tributary-bench-producer';
export const BENCH_CONSUMER_GROUP_PREFIX = 'tributary-bench-consumer';

/** Body size, as in the goals (RocketMQ's tool defaults to 128 B). */
export const BENCH_MESSAGE_BYTES_DEFAULT = 100;
/** Sends in flight: enough for the producer's coalescing to fill batches. */
export const BENCH_IN_FLIGHT_DEFAULT = 1000;
export const BENCH_QUEUES_DEFAULT = 8;
export const BENCH_DURATION_S_DEFAULT = 10;
/** Time run before measuring, so the JIT, the connections and the first segment settle. */
export const BENCH_WARMUP_S_DEFAULT = 2;
/** The backlog `bench consume` fills and drains (the goal is stated for 1,000,000). */
export const BENCH_CONSUME_COUNT_DEFAULT = 1_000_000;
/** The fixed rate of `bench e2e` (the latency goal is stated at 5,000 msgs/s). */
export const BENCH_E2E_RATE_PER_S_DEFAULT = 5000;
/** How long consume waits without a new message before giving up on the rest of the backlog. */
export const BENCH_CONSUME_IDLE_MS = 10_000;

/** One line per interval of this length. */
export const BENCH_REPORT_INTERVAL_MS = 1000;
/** Characters of the progress bar. */
export const BENCH_PROGRESS_BAR_CHARS = 10;

/** The V8 CPU profiler's sampling period (node --cpu-prof's default). */
export const CPU_PROFILE_INTERVAL_US = 1000;
/** Bytes between heap allocation samples (V8's default). */
export const HEAP_SAMPLING_INTERVAL_BYTES = 32 * 1024;

/** A started broker child must print its ready line this soon. */
export const BENCH_BROKER_START_TIMEOUT_MS = 60_000;
/** ...and answer a command this soon. */
export const BENCH_BROKER_COMMAND_TIMEOUT_MS = 30_000;
/** After asking the child to stop, SIGKILL after this long. */
export const BENCH_BROKER_STOP_DEADLINE_MS = 20_000;
/** A new topic must be routable within this time. */
export const BENCH_TOPIC_ROUTE_WAIT_MS = 10_000;
