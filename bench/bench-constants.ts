// Units and periods of the benchmark machinery, shared by `tributary bench` (cli/bench/) and the
// benchmark set (native-bench/), each with its unit in its name.

/** The pacer of a fixed-rate load wakes this often and sends whatever is due. */
export const BENCH_PACER_TICK_MS = 1;
/** monitorEventLoopDelay's timer period; its samples include this period, which is subtracted. */
export const EVENT_LOOP_RESOLUTION_MS = 1;

export const MICROSECONDS_PER_MS = 1000;
export const MS_PER_SECOND = 1000;
/** MB/s figures are 10^6 bytes of message bodies per second. */
export const BYTES_PER_MB = 1_000_000;

/** e2e bodies carry their send time as a float64 in their first 8 bytes. */
export const BENCH_E2E_STAMP_BYTES = 8;
/** How long e2e waits, after the last send, for the consumer to see every measured message. */
export const BENCH_E2E_DRAIN_MS = 10_000;
/** Distinct errors a run keeps for its summary. */
export const BENCH_ERRORS_KEPT_MAX = 5;
