// The web console's limits and defaults (README "Web console").

/** How often the rate history takes a sample of the traffic counters. */
export const RATE_SAMPLE_INTERVAL_MS = 10_000;
/** Samples kept: one hour of RATE_SAMPLE_INTERVAL_MS samples. */
export const RATE_HISTORY_SAMPLES = 360;
/** The window the cluster page's messages-per-second figures average over. */
export const RECENT_RATE_WINDOW_MS = 60_000;
/** Messages one lookup lists at most. */
export const CONSOLE_MESSAGES_MAX = 50;
/** Body bytes shown per message; the rest is cut with a note. */
export const BODY_PREVIEW_BYTES_MAX = 2048;
/** Dead letters one page lists at most. */
export const DEAD_LETTERS_PAGE_MAX = 50;
/** Waiting for a name server's cluster view before showing this broker alone. */
export const NAME_SERVER_ASK_TIMEOUT_MS = 2_000;
/** Chart size in SVG user units. */
export const CHART_WIDTH_PX = 720;
export const CHART_HEIGHT_PX = 160;
