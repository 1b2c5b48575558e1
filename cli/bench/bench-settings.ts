// The flags of `tributary bench produce|consume|e2e` and the settings they make. The flags are
// one list, the same across the three where they mean the same thing; a command leaves out
// those its kind has no use for and states its own defaults (a duration for produce and e2e, a backlog count for
// consume).
import path from 'node:path';

import { MS_PER_SECOND } from '../../bench/bench-constants.js';
import {
  BENCH_DURATION_S_DEFAULT,
  BENCH_IN_FLIGHT_DEFAULT,
  BENCH_MESSAGE_BYTES_DEFAULT,
  BENCH_QUEUES_DEFAULT,
  BENCH_WARMUP_S_DEFAULT,
} from './bench-constants.js';
import type { CommandLine, FlagSpec } from '../command-line.js';
import { NAMESRV_FLAG } from '../flags/name-server-address.js';
import { topicArgument } from '../flags/topic-argument.js';

export type BenchKind = 'produce' | 'consume' | 'e2e';

export interface BenchSettings {
  readonly kind: BenchKind;
  /** An external broker's name server; undefined: start a broker child. */
  readonly nameServer: string | undefined;
  readonly topic: string;
  readonly messageBytes: number;
  /** Measured messages (count mode), or undefined in duration mode. */
  readonly count: number | undefined;
  /** Measured time (duration mode), or undefined in count mode. */
  readonly durationMs: number | undefined;
  readonly warmupMs: number;
  readonly inFlight: number;
  readonly producers: number;
  readonly consumers: number;
  readonly queues: number;
  /** The self-started broker's flush mode, or what the user says an external broker runs. */
  readonly flush: 'async' | 'sync' | 'unknown';
  /** Sends per second across all producers; undefined: as fast as the window allows. */
  readonly ratePerS: number | undefined;
  readonly pullBatch: number | undefined;
  readonly segmentMiB: number | undefined;
  readonly dataParent: string | undefined;
  readonly json: boolean;
  readonly profileDirectory: string | undefined;
}

export interface BenchDefaults {
  readonly topic: string;
  readonly count?: number;
  readonly durationS?: number;
  readonly ratePerS?: number;
}

const integer = (description: string, defaultText?: string, min = 1, placeholder = 'N'): FlagSpec => ({
  type: 'integer',
  min,
  description,
  placeholder,
  ...(defaultText === undefined ? {} : { defaultText }),
});

/** Every bench flag; a command spreads the ones it takes into its spec. */
export const BENCH_FLAGS = {
  namesrv: {
    ...NAMESRV_FLAG,
    description: 'drive the broker registered with this name server instead of starting one',
    defaultText: 'start a broker in a child process, in a temporary directory',
  },
  topic: {
    type: 'string',
    placeholder: 'topic',
    description: 'topic to use, created if missing (consume: a fresh one per run)',
    defaultText: 'BenchTopic',
  },
  size: integer('message body size in bytes', String(BENCH_MESSAGE_BYTES_DEFAULT), 1, 'bytes'),
  count: integer('measured messages (instead of --duration-s)'),
  'duration-s': integer('measured seconds (instead of --count)'),
  'warmup-s': integer('seconds of load before measuring', String(BENCH_WARMUP_S_DEFAULT), 0),
  'in-flight': integer('sends in flight at once, across producers', String(BENCH_IN_FLIGHT_DEFAULT)),
  producers: integer('producer clients (the first shares its connection with the first consumer)', '1'),
  consumers: integer('consumer clients in the group (one connection each but the first)', '1'),
  queues: integer('queues of the topic', String(BENCH_QUEUES_DEFAULT)),
  rate: integer('sends per second across producers; 0 = as fast as the window allows', undefined, 0),
  'pull-batch': integer('messages per pull request', 'the client default, 512'),
  flush: {
    type: 'string',
    choices: ['async', 'sync'],
    description: "the started broker's flush mode (with --namesrv: a label for the external broker's)",
    defaultText: 'async',
  },
  'segment-mb': integer("the started broker's commit log segment size in MiB", '1024'),
  data: { type: 'string', placeholder: 'dir', description: "where the started broker's temporary directory goes" },
  json: { type: 'boolean', description: 'print the summary as one JSON object on stdout (progress goes to stderr)' },
  profile: {
    type: 'string',
    placeholder: 'dir',
    description: 'write CPU and heap profiles of the measured phase (client and started broker) here',
  },
} as const satisfies Record<string, FlagSpec>;

export type BenchFlagName = keyof typeof BENCH_FLAGS;

/** The flags a kind of run has no use for: consume drains a backlog, produce has no consumers. */
const FLAGS_NOT_FOR: Readonly<Record<BenchKind, readonly BenchFlagName[]>> = {
  produce: ['consumers', 'pull-batch'],
  consume: ['duration-s', 'warmup-s', 'rate'],
  e2e: [],
};

/** The flags of `tributary bench <kind>`, in one order for every kind, for its spec. */
export function benchFlags(kind: BenchKind): Record<string, FlagSpec> {
  const unused = FLAGS_NOT_FOR[kind];
  return Object.fromEntries(Object.entries(BENCH_FLAGS).filter(([name]) => !unused.includes(name as BenchFlagName)));
}

export function benchSettingsFrom(kind: BenchKind, line: CommandLine, defaults: BenchDefaults): BenchSettings {
  const has = (name: BenchFlagName): boolean => line.has(name);
  if (has('count') && has('duration-s')) throw line.usageError('give --count or --duration-s, not both');
  const count = has('count') ? line.integer('count') : has('duration-s') ? undefined : defaults.count;
  const durationS = has('duration-s')
    ? line.integer('duration-s')
    : count === undefined
      ? (defaults.durationS ?? BENCH_DURATION_S_DEFAULT)
      : undefined;
  const nameServer = line.string('namesrv');
  const option = <T>(name: BenchFlagName, read: () => T): T | undefined => (has(name) ? read() : undefined);
  const profile = line.string('profile');
  return {
    kind,
    nameServer,
    topic: topicArgument(line, line.string('topic', defaults.topic)),
    messageBytes: option('size', () => line.integer('size')) ?? BENCH_MESSAGE_BYTES_DEFAULT,
    count,
    durationMs: durationS === undefined ? undefined : durationS * MS_PER_SECOND,
    warmupMs: (option('warmup-s', () => line.integer('warmup-s')) ?? BENCH_WARMUP_S_DEFAULT) * MS_PER_SECOND,
    inFlight: option('in-flight', () => line.integer('in-flight')) ?? BENCH_IN_FLIGHT_DEFAULT,
    producers: option('producers', () => line.integer('producers')) ?? 1,
    consumers: option('consumers', () => line.integer('consumers')) ?? 1,
    queues: option('queues', () => line.integer('queues')) ?? BENCH_QUEUES_DEFAULT,
    flush: (option('flush', () => line.string('flush')) ?? (nameServer === undefined ? 'async' : 'unknown')) as
      'async' | 'sync' | 'unknown',
    ratePerS: (option('rate', () => line.integer('rate')) ?? defaults.ratePerS) || undefined,
    pullBatch: option('pull-batch', () => line.integer('pull-batch')),
    segmentMiB: option('segment-mb', () => line.integer('segment-mb')),
    dataParent: option('data', () => path.resolve(line.string('data')!)),
    json: line.boolean('json'),
    profileDirectory: profile === undefined ? undefined : path.resolve(profile),
  };
}
