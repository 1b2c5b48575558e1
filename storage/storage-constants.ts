import assert from 'node:assert/strict';

// Every limit and default of the storage engine, each with its unit in its name. The values
// follow RocketMQ's store (DefaultMessageStore, MessageStoreConfig) unless a comment says why not.

/** The unit of msync, madvise and dirty-page accounting. */
export const PAGE_BYTES = 4096;

/** Commit log segment size: 1 GiB, as RocketMQ's mappedFileSizeCommitLog. */
export const SEGMENT_BYTES_DEFAULT = 1024 * 1024 * 1024;
/**
 * The next segment is created and preheated once the active one is this full (its fraction):
 * early enough that a roll never waits for it (reserving 1 GiB and faulting in its first
 * window take tens of milliseconds), late enough that a fresh or idle store holds one segment
 * on disk, not two.
 */
export const SEGMENT_PREPARE_NEXT_FULL_RATIO = 0.5;
/** Smallest segment we accept; tests use small segments so dozens of them roll. */
export const SEGMENT_BYTES_MIN = 64 * 1024;
/**
 * Largest segment: record offsets inside a segment are handled as uint32 (CRC batch ranges)
 * and Node Buffers top out at 4 GiB.
 */
export const SEGMENT_BYTES_MAX = 2 * 1024 * 1024 * 1024;

/** Largest message body: 4 MiB, RocketMQ's maxMessageSize. */
export const MESSAGE_BODY_BYTES_MAX_DEFAULT = 4 * 1024 * 1024;
/** The properties string carries a signed 16-bit length. */
export const PROPERTIES_BYTES_MAX = 32767;
/** Queue ids per topic are [0, QUEUE_COUNT_MAX); the broker narrows this per topic. */
export const QUEUE_COUNT_MAX = 1024;

/** Async flush: msync every 500 ms when at least 4 pages are dirty, everything every 10 s. */
export const FLUSH_INTERVAL_MS = 500;
export const FLUSH_LEAST_PAGES = 4;
export const FLUSH_THOROUGH_INTERVAL_MS = 10_000;
/** Sync flush: an append not durable within 5 s fails with FLUSH_TIMEOUT. */
export const SYNC_FLUSH_TIMEOUT_MS = 5000;

/**
 * Consume queue and index files are sparse and reserve their blocks just ahead of each write
 * (a full disk is then an error, never a SIGBUS in the mapping), in steps that double from a
 * page up to this, so a file costs about what it holds and a busy one grows in large extents.
 * A consume queue's step is also faulted in ahead of its writer (MappedFile.reserveThrough),
 * so this bounds the zero pages a busy queue holds resident before it writes them: 1 MiB per
 * queue was more than a broker with many busy queues should hold for nothing, and a step of
 * 256 KiB still costs one fallocate and one pool job per 13,107 entries.
 */
export const LAZY_RESERVE_STEP_BYTES_MAX = 256 * 1024;

/** 20-byte consume queue entries, 300,000 per file (RocketMQ's 6,000,000-byte files). */
export const CONSUME_QUEUE_ENTRY_BYTES = 20;
export const CONSUME_QUEUE_ENTRIES_PER_FILE_DEFAULT = 300_000;

/**
 * Index files hold 1,000,000 hash slots and 4,000,000 entries (84 MB). RocketMQ uses
 * 5,000,000 x 20,000,000 (420 MB); an embedded store should not reserve that much disk for its
 * first message, and chains of about four entries per slot stay short to walk.
 */
export const INDEX_SLOT_COUNT_DEFAULT = 1_000_000;
export const INDEX_ENTRY_COUNT_DEFAULT = 4_000_000;
/**
 * Sizing the index for the disk (index-geometry.ts): with neither count given, an index file
 * takes at most 1/16 of the file system's size (used + available), under the 10% headroom the
 * default diskFullRatio keeps, so creating one cannot fail while appends are allowed. Counts
 * are halved together from the defaults until the file fits, down to the minimum below.
 */
export const INDEX_DISK_SHARE_DIVISOR = 16;
/** Entries per hash slot when only one count is given or the counts are sized for the disk. */
export const INDEX_ENTRIES_PER_SLOT = 4;
/** The smallest index sized for a disk: 16,384 entries, 4,096 slots (about 344 KB). */
export const INDEX_ENTRY_COUNT_DISK_MIN = 16_384;
/** A filtered read scans at least this many queue entries (RocketMQ: 16,000 bytes = 800). */
export const READ_FILTER_SCAN_ENTRIES_MIN = 800;
/** A filtered read scans this many queue entries per message asked for (at least the minimum above). */
export const READ_FILTER_SCAN_ENTRIES_PER_MESSAGE = 20;

/** Results a key lookup returns when the caller does not say. */
export const INDEX_QUERY_COUNT_DEFAULT = 32;

/** Consume queues, index and checkpoint are msynced and recorded this often. */
export const CHECKPOINT_INTERVAL_MS = 1000;

/** Sealed segments older than this are deleted. */
export const RETENTION_HOURS_DEFAULT = 72;
export const RETENTION_CHECK_INTERVAL_MS = 10_000;
/** A deleted segment a reader still holds is unmapped after this long regardless. */
export const SEGMENT_RELEASE_TIMEOUT_MS = 120_000;

/**
 * Disk usage, as a fraction of the file system holding the store. At or above the retention
 * ratio the oldest segments go whatever their age (RocketMQ's diskMaxUsedSpaceRatio, 75%), at
 * most DISK_RETENTION_SEGMENTS_PER_PASS_MAX per pass (its deleteFileBatchMax); at or above the
 * full ratio appends are refused with DISK_FULL before a write can hit ENOSPC (its
 * diskSpaceWarningLevelRatio, 90%). Usage is sampled every DISK_CHECK_INTERVAL_MS.
 */
export const DISK_RETENTION_RATIO_DEFAULT = 0.75;
export const DISK_FULL_RATIO_DEFAULT = 0.9;
export const DISK_RETENTION_SEGMENTS_PER_PASS_MAX = 10;
export const DISK_CHECK_INTERVAL_MS = 1000;

/** Recovery re-validates this many segments up to the checkpointed flush point (RocketMQ: 3). */
export const RECOVERY_VERIFY_SEGMENTS = 3;

/** Milliseconds per hour, for retention arithmetic. */
export const MS_PER_HOUR = 3_600_000;

// Relations the code relies on.
assert.equal(SEGMENT_BYTES_DEFAULT % PAGE_BYTES, 0, 'segments are whole pages');
assert.equal(SEGMENT_BYTES_MIN % PAGE_BYTES, 0, 'segments are whole pages');
assert.ok(SEGMENT_BYTES_MIN <= SEGMENT_BYTES_DEFAULT && SEGMENT_BYTES_DEFAULT <= SEGMENT_BYTES_MAX);
