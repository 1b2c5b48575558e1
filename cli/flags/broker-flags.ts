// The flags `start` and `broker` share, and the broker options they make.
import path from 'node:path';

import type { BrokerOptions } from '../../broker/index.js';
import type { MessageStoreOptions } from '../../storage/index.js';
import {
  ADVERTISED_HOST_DEFAULT,
  BROKER_PORT_DEFAULT,
  BYTES_PER_MIB,
  DATA_DIRECTORY_DEFAULT,
  DATA_DIRECTORY_ENV,
  LISTEN_HOST_DEFAULT,
} from '../cli-constants.js';
import type { CommandLine, FlagSpec } from '../command-line.js';
import { CONNECTION_LIMIT_FLAGS, connectionLimitsFrom } from './connection-limit-flags.js';
import { CONFIG_FLAG, CONFIG_FLAG_NAME } from './config-file.js';
import { delayLevelsArgument } from './delay-levels-argument.js';
import { BROKER_SECURITY_FLAGS, brokerSecurityFrom } from './security-flags.js';
import { HTTP_PORT_DEFAULT } from '../../broker/index.js';
import { LOG_LEVEL_FLAG, httpPortFlag, httpPortFrom, serverLoggerFrom } from './server-process-flags.js';

const PERCENT = 100;

export const BROKER_FLAGS: Readonly<Record<string, FlagSpec>> = {
  data: {
    type: 'string',
    placeholder: 'dir',
    description: 'data directory for the store and broker state',
    defaultText: `$${DATA_DIRECTORY_ENV}, else ${DATA_DIRECTORY_DEFAULT}`,
  },
  port: {
    type: 'integer',
    min: 0,
    description: 'broker port; 0 picks a free one',
    defaultText: String(BROKER_PORT_DEFAULT),
  },
  host: { type: 'string', placeholder: 'address', description: 'listen address', defaultText: LISTEN_HOST_DEFAULT },
  'advertised-host': {
    type: 'string',
    placeholder: 'host',
    description: 'host clients are told to connect to',
    defaultText: ADVERTISED_HOST_DEFAULT,
  },
  flush: {
    type: 'string',
    choices: ['async', 'sync'],
    description: 'acknowledge a send once in memory (async) or once on disk (sync)',
    defaultText: 'async',
  },
  'auto-create-topics': { type: 'boolean', description: 'create a topic on the first send to it' },
  'delay-levels': {
    type: 'string',
    placeholder: 'delays',
    description: 'delay of each level, level 1 first; retries use level 3 + reconsume count',
    defaultText: "'1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h'",
  },
  'segment-mb': {
    type: 'integer',
    min: 1,
    description: 'commit log segment size in MiB (preheated ahead of need)',
    defaultText: '1024',
  },
  'index-entries': {
    type: 'integer',
    min: 1,
    description: 'entries of each key index file (20 bytes each, plus a hash slot per 4); a full one rolls',
    defaultText: '4000000, fewer on a small disk: a file takes at most 1/16 of it',
  },
  'retention-hours': {
    type: 'integer',
    min: 1,
    description: 'delete commit log segments older than this many hours',
    defaultText: '72',
  },
  'disk-retention-percent': {
    type: 'integer',
    min: 1,
    description: 'disk use (percent) past which the oldest segments go regardless of age',
    defaultText: '75',
  },
  'disk-full-percent': {
    type: 'integer',
    min: 1,
    description: 'disk use (percent) past which sends are refused',
    defaultText: '90',
  },
  'transaction-check-interval-ms': {
    type: 'integer',
    min: 1,
    description: 'how often open transactions are checked back with their producers',
    defaultText: '30000',
  },
  'transaction-timeout-ms': {
    type: 'integer',
    min: 0,
    description: 'a transaction younger than this is not checked back yet',
    defaultText: '6000',
  },
  'http-port': httpPortFlag(HTTP_PORT_DEFAULT),
  'log-level': LOG_LEVEL_FLAG,
  [CONFIG_FLAG_NAME]: CONFIG_FLAG,
  ...CONNECTION_LIMIT_FLAGS,
  ...BROKER_SECURITY_FLAGS,
};

/** The data directory, absolute, so the ready line says exactly where the data is. */
export function dataDirectoryOf(line: CommandLine): string {
  // An empty variable counts as unset, as shells make unsetting awkward.
  return path.resolve(line.string('data') ?? (process.env[DATA_DIRECTORY_ENV] || DATA_DIRECTORY_DEFAULT));
}

export function brokerOptionsFrom(line: CommandLine, nameServers: readonly string[]): BrokerOptions {
  const delayLevels = line.string('delay-levels');
  const checkIntervalMs = line.integer('transaction-check-interval-ms');
  const timeoutMs = line.integer('transaction-timeout-ms');
  return {
    dataDirectory: dataDirectoryOf(line),
    host: line.string('host', LISTEN_HOST_DEFAULT),
    port: line.integer('port', BROKER_PORT_DEFAULT),
    advertisedHost: line.string('advertised-host', ADVERTISED_HOST_DEFAULT),
    nameServers,
    flush: line.string('flush', 'async') as 'async' | 'sync',
    autoCreateTopics: line.boolean('auto-create-topics'),
    connectionLimits: connectionLimitsFrom(line),
    ...(delayLevels === undefined ? {} : { delayLevelsMs: delayLevelsArgument(line, delayLevels) }),
    store: storeOptionsFrom(line),
    ...(checkIntervalMs === undefined ? {} : { transactionCheckIntervalMs: checkIntervalMs }),
    ...(timeoutMs === undefined ? {} : { transactionTimeoutMs: timeoutMs }),
    ...brokerSecurityFrom(line),
    httpPort: httpPortFrom(line, 'http-port', HTTP_PORT_DEFAULT),
    // Background failures (a name server down, a client gone) become error lines of this logger.
    logger: serverLoggerFrom(line, 'tributary-broker'),
  };
}

/** The store flags given; absent ones leave the store's defaults. */
function storeOptionsFrom(line: CommandLine): MessageStoreOptions {
  const segmentMiB = line.integer('segment-mb');
  const indexEntries = line.integer('index-entries');
  const retentionHours = line.integer('retention-hours');
  const retentionPercent = percentFlag(line, 'disk-retention-percent');
  const fullPercent = percentFlag(line, 'disk-full-percent');
  return {
    ...(segmentMiB === undefined ? {} : { segmentBytes: segmentMiB * BYTES_PER_MIB }),
    ...(indexEntries === undefined ? {} : { indexEntryCount: indexEntries }),
    ...(retentionHours === undefined ? {} : { retentionHours }),
    ...(retentionPercent === undefined ? {} : { diskRetentionRatio: retentionPercent / PERCENT }),
    ...(fullPercent === undefined ? {} : { diskFullRatio: fullPercent / PERCENT }),
  };
}

function percentFlag(line: CommandLine, name: string): number | undefined {
  const value = line.integer(name);
  if (value !== undefined && value > PERCENT)
    throw line.usageError(`--${name} must be at most ${PERCENT} (got ${value})`);
  return value;
}
