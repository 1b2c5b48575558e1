// Defaults of the config centre client.

/** How long the broker holds a watch when nothing changes (the broker allows up to 120 s). */
export const CONFIG_WATCH_HOLD_MS_DEFAULT = 30_000;
/** A watch's request timeout is its hold plus this margin. */
export const CONFIG_WATCH_TIMEOUT_MARGIN_MS = 5_000;
/** After a failed watch, wait this long before the next (doubling up to the maximum). */
export const CONFIG_WATCH_RETRY_MS_MIN = 200;
export const CONFIG_WATCH_RETRY_MS_MAX = 5_000;
/** The group of an item when none is given (Nacos's DEFAULT_GROUP; the broker's default too). */
export const CONFIG_GROUP_DEFAULT = 'DEFAULT_GROUP';
