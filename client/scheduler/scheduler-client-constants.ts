// Defaults of the job scheduler's client side.

export const SCHEDULER_REQUEST_TIMEOUT_MS_DEFAULT = 5000;
/** A poll is held by the broker up to 5 s; the client waits this much longer. */
export const EXECUTOR_POLL_TIMEOUT_MS = 8000;
export const EXECUTOR_LEASE_MS_DEFAULT = 10_000;
/** Heartbeats per lease. */
export const EXECUTOR_HEARTBEATS_PER_LEASE = 3;
/** After a failed poll or registration, the executor waits this long before trying again. */
export const EXECUTOR_RETRY_DELAY_MS = 200;
/** Output a handler logs that is kept for the run log, in characters (the tail). */
export const EXECUTOR_OUTPUT_TAIL_CHARS_MAX = 4096;
/** GLUE worker threads per executor. */
export const GLUE_WORKERS_MAX = 2;
