// Defaults of the remoting server transport shared by the broker and the name server, each with
// its unit in its name.

// Connection limits of a server port (broker or name server) (connection-limits.ts resolves them; the
// README's "Limits" table says what happens past each).

/**
 * Open connections per server. A socket accepted past this is closed at once and counted. An
 * idle connection costs a few KiB, but each may buffer up to a frame (16 MiB) of a request
 * still arriving, so this also caps what connections can claim. A cluster needs about one
 * connection per client process per server, far below it.
 */
export const CONNECTIONS_MAX_DEFAULT = 10_000;
/**
 * A connection with no traffic either way for this long is closed (RocketMQ's
 * serverChannelMaxIdleTimeSeconds, 120 s). Clients heartbeat brokers and refresh routes from
 * name servers every 30 s, and a long poll is held at most PULL_SUSPEND_MS_MAX, so only dead or
 * abandoned connections ever reach it.
 */
export const CONNECTION_IDLE_TIMEOUT_MS_DEFAULT = 120_000;
/** Requests one connection may have being processed, held long polls included; past it SYSTEM_BUSY. */
export const IN_FLIGHT_REQUESTS_MAX_DEFAULT = 4096;
/**
 * A response that has waited in a connection's socket this long without being sent (its peer
 * reads nothing) closes the connection. Pull responses are views of the mapped log that keep
 * their segment alive until written, so this is also the longest a stuck peer can pin a
 * segment; it stays well below the store's SEGMENT_RELEASE_TIMEOUT_MS (120 s), after which a
 * deleted segment is unmapped under any view still pointing into it.
 */
export const WRITE_STALL_TIMEOUT_MS_DEFAULT = 30_000;
/**
 * Bytes a server holds in unfinished frames across all connections (16 frames of the 16 MiB
 * maximum): what peers that have not yet authenticated can make it hold.
 */
export const UNFINISHED_FRAME_BUDGET_BYTES_DEFAULT = 256 * 1024 * 1024;

// The HTTP endpoint of each process (server/http/): health, readiness and metrics.

/** A request must send its headers within this long (slowloris bound; Node's headersTimeout). */
export const HTTP_HEADERS_TIMEOUT_MS = 10_000;
/** A whole request must arrive within this long (Node's requestTimeout). */
export const HTTP_REQUEST_TIMEOUT_MS = 30_000;
/** Open HTTP connections per process; scrapers and probes need a handful. */
export const HTTP_CONNECTIONS_MAX = 256;
/** A POST form body (the broker console's actions, a test message included) at most. */
export const HTTP_FORM_BYTES_MAX = 256 * 1024;
/** An idle keep-alive connection is closed after this long. */
export const HTTP_KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Log level when none is given (pino's level names). */
export const LOG_LEVEL_DEFAULT = 'info';
