// The JSON-lines logger of a broker or name server process (pino): one line per event with its
// level, time and the fields of its child logger (broker, topic, group...). Secrets never reach
// a line: the paths below are replaced by "[Redacted]" wherever they appear in what is logged.
import { pino, type Logger as PinoLogger, type LevelWithSilent, type DestinationStream } from 'pino';

import { LOG_LEVEL_DEFAULT } from '../server-constants.js';

/**
 * A broker's or name server's logger: pino's, as `processLogger` makes it (JSON lines, secrets
 * redacted). Any pino logger fits where one is taken, so an embedding application can pass its own
 * or a child of it. Declared here rather than re-exported so the public API documents it.
 */
export type Logger<CustomLevels extends string = never, UseOnlyCustomLevels extends boolean = boolean> = PinoLogger<
  CustomLevels,
  UseOnlyCustomLevels
>;

/** The levels `--log-level` accepts. */
export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Secrets that may appear in logged objects: ACL keys, request signatures, HTTP credentials. */
export const LOG_REDACTED_PATHS: readonly string[] = [
  'secretKey',
  '*.secretKey',
  '*.*.secretKey',
  '*.accounts[*].secretKey',
  'accounts[*].secretKey',
  'Signature',
  '*.Signature',
  '*.*.Signature',
  'authorization',
  '*.authorization',
  '*.*.authorization',
];

export class LogLevelError extends Error {
  override readonly name = 'LogLevelError';
  readonly code = 'INVALID_LOG_LEVEL';
}

export function parseLogLevel(value: string): LevelWithSilent {
  const level = LOG_LEVELS.find((known) => known === value);
  if (level === undefined) throw new LogLevelError(`log level must be one of ${LOG_LEVELS.join(', ')}, not '${value}'`);
  return level;
}

/** A process's logger, writing to stdout (the CLI's servers), stderr (embedded ones) or a stream. */
export function processLogger(
  name: string,
  level: string = LOG_LEVEL_DEFAULT,
  destination: 'stdout' | 'stderr' | DestinationStream = 'stdout',
): Logger {
  const options = { name, level: parseLogLevel(level), redact: [...LOG_REDACTED_PATHS] };
  if (destination === 'stdout') return pino(options);
  return pino(options, destination === 'stderr' ? pino.destination(2) : destination);
}

/** An `onError(error, context)` report as one error line of `logger`. */
export function errorReporter(logger: Logger): (error: unknown, context: string) => void {
  return (error, context) => {
    if (error === undefined) logger.warn(context);
    else logger.error({ err: error }, context);
  };
}
