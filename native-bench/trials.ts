// Every trial, as data. The orchestrator (storage.bench.ts) runs each in its own process; a
// runner (runners/) turns `kind` + `params` into metrics. To add a trial, add an entry here.
import { DURABILITY } from './lib/durability.js';
import type { TrialDefinition } from './lib/trial-types.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
/** benny sampling for throughput trials: ~3 s of samples, at least 5 cycles of >= 0.25 s. */
const SAMPLING = { maxTime: 3, minSamples: 5, minTime: 0.25 } as const;
const SMALL = { bodyBytes: 100, batchSize: 100, segmentBytes: GiB, ...SAMPLING } as const;
/** What dd writes to measure the disk: 3,000 MiB, past what the page cache absorbs at once. */
const DD_MIB = 3000;
const LARGE = { bodyBytes: 16 * 1024, batchSize: 16, segmentBytes: GiB, ...SAMPLING } as const;
const READ = { bodyBytes: 100, messages: 1_600_000, readBatch: 32, segmentBytes: GiB, ...SAMPLING } as const;
const SYNC = { bodyBytes: 1024, appenders: 1000, warmupMs: 1000, durationMs: 5000, segmentBytes: GiB } as const;

/** The Tributary event-loop trials differ only in whether they wait for the first preheats. */
const TRIBUTARY_EVENT_LOOP = {
  group: 'event-loop',
  engine: 'tributary',
  kind: 'tributary-event-loop',
  durability: DURABILITY.tributaryAsync,
  params: { bodyBytes: 1024, batchSize: 100, segmentBytes: 64 * MiB, segments: 8 },
  headline: 'eventLoopMaxMs',
  goals: [
    { metric: 'eventLoopMaxMs', op: '<', value: 20 },
    { metric: 'eventLoopP99Ms', op: '<', value: 2 },
  ],
} as const satisfies Partial<TrialDefinition>;

export const TRIALS: readonly TrialDefinition[] = [
  // --- append, 100 B bodies, batches of 100 ------------------------------------------------
  {
    id: 'tributary-append-100b-batch100',
    group: 'append-100b',
    title: 'Tributary appendBatch(100 x 100 B)',
    engine: 'tributary',
    kind: 'tributary-append-batch',
    durability: DURABILITY.tributaryAsync,
    params: SMALL,
    headline: 'msgsPerSec',
    goals: [{ metric: 'msgsPerSec', op: '>=', value: 2_000_000 }],
  },
  {
    id: 'lmdb-append-100b-put',
    group: 'append-100b',
    title: 'lmdb put() x 100, await last (async write txns)',
    engine: 'lmdb',
    kind: 'lmdb-append-async',
    durability: DURABILITY.lmdbNoSync,
    params: SMALL,
    headline: 'msgsPerSec',
    compareTo: 'tributary-append-100b-batch100',
  },
  {
    id: 'lmdb-append-100b-txnsync',
    group: 'append-100b',
    title: 'lmdb transactionSync(putSync x 100)',
    engine: 'lmdb',
    kind: 'lmdb-append-txn',
    durability: DURABILITY.lmdbNoSync,
    params: SMALL,
    headline: 'msgsPerSec',
    compareTo: 'tributary-append-100b-batch100',
  },
  {
    id: 'sqlite-append-100b-txn100',
    group: 'append-100b',
    title: 'better-sqlite3 INSERT x 100 per transaction',
    engine: 'better-sqlite3',
    kind: 'sqlite-append',
    durability: DURABILITY.sqliteWalNormal,
    params: SMALL,
    headline: 'msgsPerSec',
    compareTo: 'tributary-append-100b-batch100',
  },
  {
    id: 'plain-append-100b-batch100',
    group: 'append-100b',
    title: 'plain fs writev(100 length-prefixed records)',
    engine: 'plain-fs',
    kind: 'plain-append',
    durability: DURABILITY.plainAsync,
    params: SMALL,
    headline: 'msgsPerSec',
    compareTo: 'tributary-append-100b-batch100',
  },
  // --- append, single awaited calls, 256 in flight -----------------------------------------
  {
    id: 'tributary-append-100b-window256',
    group: 'append-100b-single',
    title: 'Tributary append() x 256 concurrent appenders (yield every 8 appends each)',
    engine: 'tributary',
    kind: 'tributary-append-window',
    durability: DURABILITY.tributaryAsync,
    params: { bodyBytes: 100, inFlight: 256, perAppender: 100, yieldEvery: 8, segmentBytes: GiB, ...SAMPLING },
    headline: 'msgsPerSec',
    goals: [{ metric: 'msgsPerSec', op: '>=', value: 800_000 }],
  },
  // --- append, 16 KiB bodies ---------------------------------------------------------------
  {
    id: 'tributary-append-16k-batch16',
    group: 'append-16k',
    title: 'Tributary appendBatch(16 x 16 KiB)',
    engine: 'tributary',
    kind: 'tributary-append-batch',
    durability: DURABILITY.tributaryAsync,
    params: LARGE,
    headline: 'bodyBytesPerSec',
    goals: [{ metric: 'bodyBytesPerSec', op: '>=', value: 1.5e9 }],
  },
  {
    id: 'lmdb-append-16k-txnsync',
    group: 'append-16k',
    title: 'lmdb transactionSync(putSync x 16)',
    engine: 'lmdb',
    kind: 'lmdb-append-txn',
    durability: DURABILITY.lmdbNoSync,
    params: LARGE,
    headline: 'bodyBytesPerSec',
    compareTo: 'tributary-append-16k-batch16',
  },
  {
    id: 'sqlite-append-16k-txn16',
    group: 'append-16k',
    title: 'better-sqlite3 INSERT x 16 per transaction',
    engine: 'better-sqlite3',
    kind: 'sqlite-append',
    durability: DURABILITY.sqliteWalNormal,
    params: LARGE,
    headline: 'bodyBytesPerSec',
    compareTo: 'tributary-append-16k-batch16',
  },
  {
    id: 'plain-append-16k-batch16',
    group: 'append-16k',
    title: 'plain fs writev(16 length-prefixed records)',
    engine: 'plain-fs',
    kind: 'plain-append',
    durability: DURABILITY.plainAsync,
    params: LARGE,
    headline: 'bodyBytesPerSec',
    compareTo: 'tributary-append-16k-batch16',
  },
  {
    id: 'disk-dd-16k',
    group: 'append-16k',
    title: 'dd bs=1M conv=fdatasync (the disk in this run)',
    engine: 'dd',
    kind: 'disk-dd',
    durability: DURABILITY.ddFdatasync,
    params: { ddMiB: DD_MIB },
    headline: 'bodyBytesPerSec',
    compareTo: 'tributary-append-16k-batch16',
  },
  // --- sync flush: 1,000 concurrent appenders of 1 KiB --------------------------------------
  {
    id: 'tributary-sync-1k-x1000',
    group: 'sync-1k',
    title: 'Tributary append() x 1000 concurrent appenders, 1 KiB, flush:sync',
    engine: 'tributary',
    kind: 'tributary-sync-appenders',
    durability: DURABILITY.tributarySync,
    params: SYNC,
    headline: 'msgsPerSec',
    goals: [{ metric: 'msgsPerSec', op: '>=', value: 100_000 }],
  },
  {
    id: 'lmdb-sync-1k-x1000',
    group: 'sync-1k',
    title: 'lmdb put() x 1000 concurrent appenders, 1 KiB, synced commits',
    engine: 'lmdb',
    kind: 'lmdb-sync-appenders',
    durability: DURABILITY.lmdbSync,
    params: SYNC,
    headline: 'msgsPerSec',
    compareTo: 'tributary-sync-1k-x1000',
  },
  {
    id: 'plain-sync-1k-x1000',
    group: 'sync-1k',
    title: 'plain fs group commit x 1000 concurrent appenders, 1 KiB',
    engine: 'plain-fs',
    kind: 'plain-sync-appenders',
    durability: DURABILITY.plainSync,
    params: SYNC,
    headline: 'msgsPerSec',
    compareTo: 'tributary-sync-1k-x1000',
  },
  // --- sequential read -----------------------------------------------------------------------
  {
    id: 'tributary-read-100b-batch32',
    group: 'read-100b',
    title: 'Tributary read(topic, 0, offset, 32), touching each body',
    engine: 'tributary',
    kind: 'tributary-read',
    durability: DURABILITY.read,
    params: READ,
    headline: 'msgsPerSec',
    goals: [{ metric: 'msgsPerSec', op: '>=', value: 3_000_000 }],
  },
  {
    id: 'lmdb-read-100b-range32',
    group: 'read-100b',
    title: 'lmdb getRange({start, end: start+32}), touching each value',
    engine: 'lmdb',
    kind: 'lmdb-read',
    durability: DURABILITY.read,
    params: READ,
    headline: 'msgsPerSec',
    compareTo: 'tributary-read-100b-batch32',
  },
  {
    id: 'sqlite-read-100b-limit32',
    group: 'read-100b',
    title: 'better-sqlite3 SELECT body WHERE id >= ? LIMIT 32',
    engine: 'better-sqlite3',
    kind: 'sqlite-read',
    durability: DURABILITY.read,
    params: READ,
    headline: 'msgsPerSec',
    compareTo: 'tributary-read-100b-batch32',
  },
  {
    id: 'plain-read-100b-scan',
    group: 'read-100b',
    title: 'plain fs sequential scan (1 MiB reads, parse 32 records per op)',
    engine: 'plain-fs',
    kind: 'plain-read',
    durability: DURABILITY.read,
    params: READ,
    headline: 'msgsPerSec',
    compareTo: 'tributary-read-100b-batch32',
  },
  // --- event-loop delay across segment rolls ------------------------------------------------
  {
    ...TRIBUTARY_EVENT_LOOP,
    id: 'tributary-eventloop-64m-segments',
    title:
      'Event-loop delay, appendBatch(100 x 1 KiB) + setImmediate per batch, 8 x 64 MiB segments, preheat on (after initial preheat settled)',
    params: { ...TRIBUTARY_EVENT_LOOP.params, settle: true },
  },
  {
    ...TRIBUTARY_EVENT_LOOP,
    id: 'tributary-eventloop-64m-cold-start',
    title: 'Same, appending right after open of an empty store (includes the first preheats)',
    params: { ...TRIBUTARY_EVENT_LOOP.params, settle: false },
  },
  {
    id: 'plain-eventloop-control',
    group: 'event-loop',
    title: "Control: same driver and bytes through plain fs writev (the machine's noise floor)",
    engine: 'plain-fs',
    kind: 'plain-event-loop',
    durability: DURABILITY.plainAsync,
    params: { bodyBytes: 1024, batchSize: 100, segmentBytes: 64 * MiB, segments: 8 },
    headline: 'eventLoopMaxMs',
  },
  // --- recovery after SIGKILL -----------------------------------------------------------------
  {
    id: 'tributary-recovery-default',
    group: 'recovery',
    title: 'Recovery after SIGKILL, 1.5 GiB of 1 KiB messages, 256 MiB segments, recoveryVerifySegments default (3)',
    engine: 'tributary',
    kind: 'tributary-recovery',
    durability: DURABILITY.tributaryAsync,
    params: {
      bodyBytes: 1024,
      batchSize: 100,
      fillBytes: 1.5 * GiB,
      segmentBytes: 256 * MiB,
      verifySegments: 'default',
    },
    headline: 'scanBytesPerSec',
    goals: [{ metric: 'scanBytesPerSec', op: '>=', value: 1e9 }],
    timeoutMs: 10 * 60_000,
  },
  {
    id: 'tributary-recovery-full',
    group: 'recovery',
    title: 'Recovery after SIGKILL, same fill, recoveryVerifySegments = all (whole log scanned)',
    engine: 'tributary',
    kind: 'tributary-recovery',
    durability: DURABILITY.tributaryAsync,
    params: { bodyBytes: 1024, batchSize: 100, fillBytes: 1.5 * GiB, segmentBytes: 256 * MiB, verifySegments: 'all' },
    headline: 'scanBytesPerSec',
    goals: [{ metric: 'scanBytesPerSec', op: '>=', value: 1e9 }],
    timeoutMs: 10 * 60_000,
  },
];

export function findTrial(id: string): TrialDefinition {
  const trial = TRIALS.find((t) => t.id === id);
  if (trial === undefined) throw new Error(`no trial '${id}'; known: ${TRIALS.map((t) => t.id).join(', ')}`);
  return trial;
}
