// Options of MessageStore.open, their defaults, and their validation.
import { parseHostAddress } from './host-address.js';
import { NodeFileSystem } from './node-file-system.js';
import {
  CHECKPOINT_INTERVAL_MS,
  CONSUME_QUEUE_ENTRIES_PER_FILE_DEFAULT,
  DISK_FULL_RATIO_DEFAULT,
  DISK_RETENTION_RATIO_DEFAULT,
  FLUSH_INTERVAL_MS,
  INDEX_ENTRY_COUNT_DEFAULT,
  INDEX_SLOT_COUNT_DEFAULT,
  MESSAGE_BODY_BYTES_MAX_DEFAULT,
  PAGE_BYTES,
  RECOVERY_VERIFY_SEGMENTS,
  RETENTION_CHECK_INTERVAL_MS,
  RETENTION_HOURS_DEFAULT,
  SEGMENT_BYTES_DEFAULT,
  SEGMENT_BYTES_MAX,
  SEGMENT_BYTES_MIN,
  SEGMENT_RELEASE_TIMEOUT_MS,
  SYNC_FLUSH_TIMEOUT_MS,
} from './storage-constants.js';
import { StoreError } from './store-error.js';
import type { StorageFileSystem } from './storage-file-system.js';

/**
 * When an append resolves: 'async' once the bytes are in the mapped segment (a process crash loses
 * nothing; a power cut may lose the last moments), 'sync' once msynced to disk (group commit).
 */
export type FlushMode = 'async' | 'sync';

/** Options of MessageStore.open; every one is optional, with the default named on its field. */
export interface MessageStoreOptions {
  /** Commit log segment size in bytes (default 1 GiB); a multiple of 4096. */
  segmentBytes?: number;
  /** 'async' (default): resolve once in the mapping. 'sync': resolve once msynced. */
  flush?: FlushMode;
  /** Reserve the next segment and fault its first pages in ahead of need on a pool thread (default true). */
  preheat?: boolean;
  /** Also mlock preheated segments (default false; needs RLIMIT_MEMLOCK or CAP_IPC_LOCK). */
  lockSegments?: boolean;
  /** Delete sealed segments older than this (default 72). */
  retentionHours?: number;
  /**
   * When the file system holding the store is at least this full (a fraction, default 0.75),
   * retention deletes the oldest segments whatever their age.
   */
  diskRetentionRatio?: number;
  /** At least this full (default 0.9), appends fail with DISK_FULL until space returns. */
  diskFullRatio?: number;
  /** Largest body in bytes (default 4 MiB). */
  maxMessageBytes?: number;
  /** Host written as STOREHOST and used in offset message ids (default '127.0.0.1:10911'). */
  storeHost?: string;
  consumeQueueEntriesPerFile?: number;
  /**
   * Hash slots and entries of each new index file (20 bytes an entry, 4 a slot). One alone
   * implies the other at 4 entries a slot; with neither, 1,000,000 x 4,000,000 (84 MB) halved
   * until a file takes at most 1/16 of the file system (index-geometry.ts). A full file rolls
   * to a new one.
   */
  indexSlotCount?: number;
  indexEntryCount?: number;
  syncFlushTimeoutMs?: number;
  flushIntervalMs?: number;
  checkpointIntervalMs?: number;
  retentionCheckIntervalMs?: number;
  /** A deleted segment still held by a reader is unmapped after this long. */
  segmentReleaseTimeoutMs?: number;
  /** Segments recovery re-validates before the checkpointed flush point (default 3). */
  recoveryVerifySegments?: number;
  /**
   * Commit log offset retention must not pass: segments holding data at or above it are kept
   * (a state machine snapshot still needs them). Called at each retention pass.
   */
  retentionFloor?: () => number;
  /** Wall clock in ms; injected by tests. */
  clock?: () => number;
  /** Where files live (default the real file system); simulation tests inject faults here. */
  fileSystem?: StorageFileSystem;
}

export type ResolvedStoreOptions = Required<Omit<MessageStoreOptions, 'retentionFloor'>> & {
  retentionFloor: (() => number) | undefined;
};

export const DEFAULT_STORE_HOST = '127.0.0.1:10911';

export function resolveStoreOptions(options: MessageStoreOptions = {}): ResolvedStoreOptions {
  const resolved: ResolvedStoreOptions = {
    segmentBytes: options.segmentBytes ?? SEGMENT_BYTES_DEFAULT,
    flush: options.flush ?? 'async',
    preheat: options.preheat ?? true,
    lockSegments: options.lockSegments ?? false,
    retentionHours: options.retentionHours ?? RETENTION_HOURS_DEFAULT,
    diskRetentionRatio: options.diskRetentionRatio ?? DISK_RETENTION_RATIO_DEFAULT,
    diskFullRatio: options.diskFullRatio ?? DISK_FULL_RATIO_DEFAULT,
    maxMessageBytes: options.maxMessageBytes ?? MESSAGE_BODY_BYTES_MAX_DEFAULT,
    storeHost: options.storeHost ?? DEFAULT_STORE_HOST,
    consumeQueueEntriesPerFile: options.consumeQueueEntriesPerFile ?? CONSUME_QUEUE_ENTRIES_PER_FILE_DEFAULT,
    indexSlotCount: options.indexSlotCount ?? INDEX_SLOT_COUNT_DEFAULT,
    indexEntryCount: options.indexEntryCount ?? INDEX_ENTRY_COUNT_DEFAULT,
    syncFlushTimeoutMs: options.syncFlushTimeoutMs ?? SYNC_FLUSH_TIMEOUT_MS,
    flushIntervalMs: options.flushIntervalMs ?? FLUSH_INTERVAL_MS,
    checkpointIntervalMs: options.checkpointIntervalMs ?? CHECKPOINT_INTERVAL_MS,
    retentionCheckIntervalMs: options.retentionCheckIntervalMs ?? RETENTION_CHECK_INTERVAL_MS,
    segmentReleaseTimeoutMs: options.segmentReleaseTimeoutMs ?? SEGMENT_RELEASE_TIMEOUT_MS,
    recoveryVerifySegments: options.recoveryVerifySegments ?? RECOVERY_VERIFY_SEGMENTS,
    retentionFloor: options.retentionFloor,
    clock: options.clock ?? Date.now,
    fileSystem: options.fileSystem ?? NodeFileSystem,
  };
  validate(resolved);
  return resolved;
}

function validate(o: ResolvedStoreOptions): void {
  const check = (ok: boolean, detail: string): void => {
    if (!ok) throw new StoreError('INVALID_OPTION', detail);
  };
  const positiveInteger = (value: number): boolean => Number.isSafeInteger(value) && value > 0;
  check(
    positiveInteger(o.segmentBytes) &&
      o.segmentBytes % PAGE_BYTES === 0 &&
      o.segmentBytes >= SEGMENT_BYTES_MIN &&
      o.segmentBytes <= SEGMENT_BYTES_MAX,
    `segmentBytes must be a multiple of ${PAGE_BYTES} in [${SEGMENT_BYTES_MIN}, ${SEGMENT_BYTES_MAX}]`,
  );
  check(o.flush === 'async' || o.flush === 'sync', "flush must be 'async' or 'sync'");
  check(typeof o.preheat === 'boolean' && typeof o.lockSegments === 'boolean', 'preheat and lockSegments are booleans');
  check(typeof o.retentionHours === 'number' && o.retentionHours > 0, 'retentionHours must be positive');
  const ratio = (value: number): boolean => typeof value === 'number' && value > 0 && value <= 1;
  check(ratio(o.diskRetentionRatio), 'diskRetentionRatio must be in (0, 1]');
  check(ratio(o.diskFullRatio), 'diskFullRatio must be in (0, 1]');
  check(positiveInteger(o.maxMessageBytes), 'maxMessageBytes must be a positive integer');
  check(positiveInteger(o.consumeQueueEntriesPerFile), 'consumeQueueEntriesPerFile must be a positive integer');
  check(positiveInteger(o.indexSlotCount) && o.indexSlotCount < 2 ** 28, 'indexSlotCount out of range');
  check(positiveInteger(o.indexEntryCount) && o.indexEntryCount < 2 ** 28, 'indexEntryCount out of range');
  const intervals = [
    'syncFlushTimeoutMs',
    'flushIntervalMs',
    'checkpointIntervalMs',
    'retentionCheckIntervalMs',
  ] as const;
  for (const name of intervals) {
    check(positiveInteger(o[name]), `${name} must be a positive integer`);
  }
  check(Number.isSafeInteger(o.segmentReleaseTimeoutMs) && o.segmentReleaseTimeoutMs >= 0, 'segmentReleaseTimeoutMs');
  check(positiveInteger(o.recoveryVerifySegments), 'recoveryVerifySegments must be a positive integer');
  check(typeof o.clock === 'function', 'clock must be a function');
  check(typeof o.fileSystem?.open === 'function', 'fileSystem must implement StorageFileSystem');
  check(o.retentionFloor === undefined || typeof o.retentionFloor === 'function', 'retentionFloor must be a function');
  check(isHostAddress(o.storeHost), "storeHost must be IPv4 'a.b.c.d:port'");
}

function isHostAddress(text: unknown): boolean {
  if (typeof text !== 'string') return false;
  try {
    parseHostAddress(text);
    return true;
  } catch {
    return false;
  }
}
