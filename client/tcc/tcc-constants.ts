// Limits and defaults of the TCC client (client/tcc/).

/** How long a request to the coordinator may take (a TCC_TRY waits for the try besides). */
export const TCC_REQUEST_TIMEOUT_MS_DEFAULT = 5000;
/** How long the coordinator waits for a participant's try before failing it. */
export const TCC_TRY_TIMEOUT_MS_DEFAULT = 5000;
/** A global's timeout: still trying then, the coordinator rolls it back. */
export const TCC_GLOBAL_TIMEOUT_MS_DEFAULT = 60_000;
/** A participant re-registers its resources this often (and so reconnects after a broker restart). */
export const TCC_PARTICIPANT_REGISTER_INTERVAL_MS = 500;
