// The logger a client may be given (ClientOptions.logger): pino's shape, so a pino logger (or
// a child of one) fits as it is. Without one the client logs nothing, as before.

/** One level of a ClientLogger, called pino's way: the fields first, then the message. */
export type ClientLogMethod = (object: Record<string, unknown>, message?: string) => void;

/**
 * Where a client reports background failures it recovers from (ClientOptions.logger). A pino
 * logger fits as it is; without one the client logs nothing.
 */
export interface ClientLogger {
  error: ClientLogMethod;
  warn: ClientLogMethod;
  info: ClientLogMethod;
  debug: ClientLogMethod;
}

const ignore: ClientLogMethod = () => undefined;

export const SILENT_CLIENT_LOGGER: ClientLogger = { error: ignore, warn: ignore, info: ignore, debug: ignore };
