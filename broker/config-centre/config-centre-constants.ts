// Limits and defaults of the config centre (broker side). See config-store.ts for the model.

/** Versions kept per item, newest last; publishing past it drops the oldest (documented in README). */
export const CONFIG_HISTORY_VERSIONS_MAX_DEFAULT = 50;
/** Longest value one version may hold, in bytes of UTF-8. */
export const CONFIG_VALUE_BYTES_MAX = 1024 * 1024;
/** Longest comment, author, environment, namespace, group or key, in characters. */
export const CONFIG_NAME_CHARS_MAX = 255;
export const CONFIG_COMMENT_CHARS_MAX = 1024;
/** Client ids one gray release may name. */
export const CONFIG_GRAY_CLIENTS_MAX = 1000;
/** Namespaces one watch request may name. */
export const CONFIG_WATCH_NAMESPACES_MAX = 256;
/** A watch is held at most this long when nothing changes (Apollo holds 60 s; the client asks less). */
export const CONFIG_WATCH_HOLD_MS_MAX = 120_000;
export const CONFIG_WATCH_HOLD_MS_DEFAULT = 30_000;
/** Watches held at once across every connection; past it a watch is refused CONFIG_BUSY (the client backs off). */
export const CONFIG_WATCHES_HELD_MAX = 100_000;
/** The group an item belongs to when none is given (Nacos's DEFAULT_GROUP). */
export const CONFIG_GROUP_DEFAULT = 'DEFAULT_GROUP';
