// The logger a client may be given (ClientOptions.logger): pino's shape, so a pino logger (or
// a child of one) fits as it is. Without one the client logs nothing, as before.

export type ClientLogMethod = (object: Record<string, unknown>, message?: string) => void;

export interface ClientLogger {
  error: ClientLogMethod;
  warn: ClientLogMethod;
  info: ClientLogMethod;
  debug: ClientLogMethod;
}

const ignore: ClientLogMethod = () => undefined;

export const SILENT_CLIENT_LOGGER: ClientLogger = { error: ignore, warn: ignore, info: ignore, debug: ignore };
