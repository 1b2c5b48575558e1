// Limits and defaults of the job scheduler (broker side).

/** How often the scheduler looks for fires the timer delivered to the fire topic. */
export const FIRE_POLL_INTERVAL_MS = 5;
/** Fire records read per pass. */
export const FIRE_READ_BATCH_COUNT = 256;
/** A fire this late is a misfire (the broker was down): the job's misfire policy applies (per job). */
export const MISFIRE_THRESHOLD_MS_DEFAULT = 5000;
/** How often running runs are checked against their timeout and executors against their lease. */
export const SCHEDULER_SWEEP_INTERVAL_MS = 100;
/** An executor's lease when it names none: missing heartbeats this long removes it. */
export const EXECUTOR_LEASE_MS_DEFAULT = 10_000;
export const EXECUTOR_LEASE_MS_MIN = 200;
export const EXECUTOR_LEASE_MS_MAX = 600_000;
/** A poll for work is held at most this long before it is answered empty. */
export const EXECUTOR_POLL_HOLD_MS = 5000;
/** Handlers one executor may register. */
export const EXECUTOR_HANDLERS_MAX = 1024;
/** Output tail kept per run, in bytes (UTF-16 code units, near enough). */
export const RUN_OUTPUT_TAIL_BYTES_MAX = 4096;
/** Runs a `runs` query returns at most. */
export const RUN_QUERY_COUNT_MAX = 1000;
export const JOB_TIMEOUT_MS_DEFAULT = 60_000;
export const JOB_TIMEOUT_MS_MAX = 24 * 3600_000;
export const JOB_RETRIES_MAX = 100;
export const JOB_RETRY_BACKOFF_MS_MAX = 3600_000;
/** Smallest fixed rate or fixed delay. */
export const JOB_INTERVAL_MS_MIN = 10;
/**
 * A fire's timer record is held at most this long (under the timer topic's 3-day limit); a fire
 * due later is held in hops of this length.
 */
export const JOB_FIRE_AHEAD_MS_MAX = 2 * 24 * 3600_000;
export const JOB_NAME_CHARS_MAX = 128;
export const JOB_PARAMS_BYTES_MAX = 64 * 1024;
export const JOB_GLUE_SOURCE_BYTES_MAX = 256 * 1024;
export const JOB_CHILDREN_MAX = 64;
/** Jobs one broker's scheduler holds. */
export const JOBS_MAX = 100_000;
/** Runs of one job waiting for an executor; a fire past this is recorded discarded. */
export const JOB_QUEUED_RUNS_PER_JOB_MAX = 64;
