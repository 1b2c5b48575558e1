// The server transport's entry point, for the programs that assemble servers (the CLI): the
// connection limits and their defaults, TLS options, the HTTP port option and the process logger.
export type { ConnectionLimits, ConnectionStats } from './connection-limits.js';
export type { BrokerTlsOptions } from './broker-tls-options.js';
export {
  CONNECTION_IDLE_TIMEOUT_MS_DEFAULT,
  CONNECTIONS_MAX_DEFAULT,
  IN_FLIGHT_REQUESTS_MAX_DEFAULT,
  UNFINISHED_FRAME_BUDGET_BYTES_DEFAULT,
  WRITE_STALL_TIMEOUT_MS_DEFAULT,
} from './server-constants.js';
export { HttpPortError, parseHttpPort, type HttpPortOption } from './http/http-port.js';
export { LOG_LEVELS, processLogger, type Logger } from './http/process-logger.js';
