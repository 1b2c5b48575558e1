// The flags every server command shares (`broker`, `namesrv`, `start`): the HTTP endpoint's port
// and the log level, and the process logger they make.
import {
  HttpPortError,
  LOG_LEVELS,
  parseHttpPort,
  processLogger,
  type HttpPortOption,
  type Logger,
} from '../../server/index.js';
import type { CommandLine, FlagSpec } from '../command-line.js';
import { UsageError } from '../usage-error.js';

export const LOG_LEVEL_FLAG: FlagSpec = {
  type: 'string',
  choices: LOG_LEVELS,
  description: 'log level of the JSON log lines on stdout',
  defaultText: 'info',
};

export function httpPortFlag(defaultPort: number, what = 'HTTP port (/healthz, /readyz, /metrics)'): FlagSpec {
  return {
    type: 'string',
    placeholder: 'port|off',
    description: `${what}; 0 picks a free one, off serves none`,
    defaultText: String(defaultPort),
  };
}

export function httpPortFrom(line: CommandLine, flag: string, defaultPort: number): HttpPortOption {
  const value = line.string(flag);
  if (value === undefined) return defaultPort;
  try {
    return parseHttpPort(value);
  } catch (error) {
    if (error instanceof HttpPortError) throw new UsageError(error.message.replace('--http-port', `--${flag}`));
    throw error;
  }
}

/** The process's logger on stdout at `--log-level`. */
export function serverLoggerFrom(line: CommandLine, name: string): Logger {
  return processLogger(name, line.string('log-level', 'info'));
}
