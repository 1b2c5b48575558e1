// Defaults of the name server, each with its unit in its name.

/** The port a name server listens on unless told otherwise (RocketMQ's 9876). */
export const NAME_SERVER_PORT_DEFAULT = 9876;
/** A broker silent this long is dropped from routes (brokers re-register every 30 s). */
export const BROKER_EXPIRY_MS_DEFAULT = 120_000;
export const BROKER_EXPIRY_SCAN_INTERVAL_MS_DEFAULT = 10_000;
/** The name server's HTTP endpoint (/healthz, /readyz, /metrics) under `tributary namesrv`. */
export const NAME_SERVER_HTTP_PORT_DEFAULT = 5558;
