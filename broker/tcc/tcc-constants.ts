// Limits and defaults of the TCC coordinator (broker/tcc/).

/** A global transaction's timeout when BEGIN names none; a global still trying then is rolled back. */
export const TCC_GLOBAL_TIMEOUT_MS_DEFAULT = 60_000;
/** The longest timeout BEGIN may ask for. */
export const TCC_GLOBAL_TIMEOUT_MS_MAX = 24 * 3_600_000;
/** How long the coordinator waits for a participant's try report before failing the TCC_TRY. */
export const TCC_TRY_TIMEOUT_MS_DEFAULT = 5000;
/** The recovery task scans unfinished globals this often (and once at start). */
export const TCC_RECOVERY_SCAN_INTERVAL_MS = 200;
/** First wait before re-sending an unanswered confirm or cancel; doubles per attempt. */
export const TCC_RETRY_BACKOFF_MS_MIN = 50;
/** The longest wait between two confirm or cancel attempts of a branch (retries never stop). */
export const TCC_RETRY_BACKOFF_MS_MAX = 2000;
/** Branches one global transaction may hold. */
export const TCC_BRANCHES_PER_GLOBAL_MAX = 64;
/** Unfinished globals the coordinator holds at once; BEGIN past it is refused. */
export const TCC_UNFINISHED_GLOBALS_MAX = 100_000;
/** Finished globals remembered (newest first) so late repeats and status queries get an answer. */
export const TCC_FINISHED_GLOBALS_KEPT_MAX = 10_000;
/** Bytes a try payload may carry. */
export const TCC_PAYLOAD_BYTES_MAX = 64 * 1024;
/** Length limit of a resource name. */
export const TCC_RESOURCE_NAME_LENGTH_MAX = 127;
