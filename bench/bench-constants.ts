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
