// Crash recovery: decides what of the store on disk is valid and brings the derived data
// (consume queues, index) back in line with the commit log.
//
// 1. Commit log: validate records (length, magic, inner lengths, position, CRC-32C) from a few
//    segments before the checkpointed flush point to the end. The first invalid record ends
//    the log; everything after it is zeroed and later segments are deleted.
// 2. Consume queues: keep each queue's valid entries below a limit: the log end after a clean
//    close, else min(checkpointed queue flush point, log end). Queues the catalog lists but
//    whose files are gone are rebuilt from the start of the log.
// 3. Index: trust it up to the log end after a clean close; after a crash, keep only the
//    checkpointed entries of the checkpointed file and rebuild its slots (unless the log now
//    ends before that file: then trim as after a clean close). Missing or damaged files mean
//    a rebuild from the start of the log; before it starts, the checkpoint is made to vouch for no
//    index file, so a rebuild cut short (a failed open, a kill) is never trusted by the next
//    open as the file the old checkpoint described.
// 4. Re-dispatch every record past those points to the queues and the index. A record whose
//    queue offset jumps past a queue's end shows that queue lost entries; it is rebuilt too.
import { performance } from 'node:perf_hooks';

import type { CheckpointState } from './checkpoint.js';
import type { CommitLog } from './commit-log.js';
import type { ConsumeQueue } from './consume-queue.js';
import { normalizeKeyHash } from './index-file.js';
import type { IndexService } from './index-service.js';
import { javaStringHash } from '../protocol/java-string-hash.js';
import { MESSAGE_SYS_FLAG } from '../protocol/message-sys-flag.js';
import type { MappedFileQueue } from './mapped-file-queue.js';
import {} from './message-encoder.js';
import { KEY_SEPARATOR, PROPERTY, findProperty } from '../protocol/message-properties-codec.js';
import { checkRecord, readRecord } from './message-record.js';
import { StoreError } from './store-error.js';
import type { TopicRegistry } from './topic-registry.js';

export interface RecoveryParts {
  readonly commitLog: CommitLog;
  readonly topics: TopicRegistry;
  readonly index: IndexService;
  readonly checkpoint: Readonly<CheckpointState>;
  /** Durably writes the checkpoint with `state` (Checkpoint.writeSync). */
  readonly rewriteCheckpoint: (state: CheckpointState) => void;
  readonly clean: boolean;
  readonly verifySegments: number;
}

/** What recovery found when a store was opened (MessageStore.recovery). */
export interface RecoveryReport {
  readonly clean: boolean;
  /** Where validation started and where the valid log ends. */
  readonly scannedFrom: number;
  readonly logEnd: number;
  /** Why the log ended before the last written byte, when garbage (not zeros) followed. */
  readonly invalidTail: string | undefined;
  /** True when the log ends below the checkpointed flush point: durable data was damaged. */
  readonly damagedDurableData: boolean;
  readonly rebuiltQueues: number;
  readonly redispatchedFrom: number;
  readonly redispatchedRecords: number;
  readonly elapsedMs: number;
}

export function recoverStore(parts: RecoveryParts): RecoveryReport {
  const started = performance.now();
  const log = parts.commitLog.files;
  log.load();
  const scan = scanCommitLog(log, parts.checkpoint.commitLogFlushed, parts.verifySegments);
  log.truncateFrom(scan.end);
  const logMin = log.minOffset;
  const logEnd = log.wroteOffset;
  // Only what the checkpoint vouches for is durable; the rest is msynced again before any of
  // it is reported flushed, even if this process's page cache already holds it.
  log.markUnflushedFrom(clampOffset(parts.checkpoint.commitLogFlushed, logMin, logEnd));
  const queueLimit = clampOffset(parts.clean ? logEnd : parts.checkpoint.consumeQueueFlushed, logMin, logEnd);
  const { queues, missing } = parts.topics.discover();
  for (const queue of queues) {
    queue.recover(queueLimit);
    // Retention drops whole queue files only: entries below the log start can remain.
    queue.dropBelow(logMin);
  }
  const indexFrom = recoverIndex(parts, logMin, logEnd);
  const rebuild = new Set(missing);
  const from = Math.min(indexFrom, rebuild.size > 0 ? logMin : queueLimit);
  const dispatcher = new Dispatcher(parts, queueLimit, indexFrom, rebuild);
  let redispatched = walkRecords(log, from, logEnd, scan.from, (offset, record) => dispatcher.dispatch(offset, record));
  if (dispatcher.gaps.size > 0) {
    const gapped = [...dispatcher.gaps].map((queue) => parts.topics.resetQueue(queue));
    const second = new Dispatcher(parts, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, new Set(gapped));
    redispatched += walkRecords(log, logMin, logEnd, scan.from, (offset, record) => second.dispatch(offset, record));
  }
  parts.index.resetCoveredEnd(logEnd);
  return {
    clean: parts.clean,
    scannedFrom: scan.from,
    logEnd,
    invalidTail: scan.invalidTail,
    damagedDurableData: logEnd < Math.min(parts.checkpoint.commitLogFlushed, scan.lastFileEnd),
    rebuiltQueues: missing.length + dispatcher.gaps.size,
    redispatchedFrom: from,
    redispatchedRecords: redispatched,
    elapsedMs: performance.now() - started,
  };
}

function clampOffset(offset: number, min: number, max: number): number {
  return Math.max(min, Math.min(offset, max));
}

interface ScanResult {
  readonly from: number;
  readonly end: number;
  readonly lastFileEnd: number;
  readonly invalidTail: string | undefined;
}

/** Validates records from a few segments before `trusted` on; returns the valid end. */
function scanCommitLog(log: MappedFileQueue, trusted: number, verifySegments: number): ScanResult {
  const files = log.files;
  if (files.length === 0) return { from: 0, end: 0, lastFileEnd: 0, invalidTail: undefined };
  const lastFileEnd = files.at(-1)!.endOffset;
  const trustedPosition = clampOffset(trusted, log.minOffset, lastFileEnd - 1) - log.minOffset;
  const trustedIndex = Math.floor(trustedPosition / log.fileSize);
  const startIndex = Math.max(0, trustedIndex - (verifySegments - 1));
  const from = files[startIndex]!.fromOffset;
  for (let i = startIndex; i < files.length; i++) {
    const file = files[i]!;
    let position = 0;
    while (position < file.size) {
      const check = checkRecord(file.buffer, file.view, position, file.size, file.fromOffset);
      if (check.kind === 'blank') break;
      if (check.kind === 'invalid') {
        const zeros = file.view.getInt32(position) === 0 && file.view.getInt32(position + 4) === 0;
        return { from, end: file.fromOffset + position, lastFileEnd, invalidTail: zeros ? undefined : check.reason };
      }
      position += check.size;
    }
  }
  return { from, end: lastFileEnd, lastFileEnd, invalidTail: undefined };
}

/**
 * Brings the index in line with the log; returns the offset from which to re-index. Records
 * without keys leave no index entry, so the index may legitimately have no file at all; the
 * checkpoint says how far it covered (indexFlushed) and which file it last wrote
 * (indexFileBegin, -1 for none). A checkpointed file that is missing, or any file with a
 * damaged header or a kept entry with a damaged key hash, means the index was lost, and it is
 * rebuilt from the start of the log.
 */
function recoverIndex(parts: RecoveryParts, logMin: number, logEnd: number): number {
  const { index, checkpoint } = parts;
  index.load();
  const checkpointed = index.files.find((file) => file.beginOffset === checkpoint.indexFileBegin);
  const lost = index.damagedFiles > 0 || (checkpoint.indexFileBegin >= 0 && checkpointed === undefined);
  if (logEnd === logMin || lost) return rebuildWholeIndex(parts, logMin);
  const covered = clampOffset(checkpoint.indexFlushed, logMin, logEnd);
  if (checkpointed === undefined) {
    // The checkpoint vouches for no file: any found was created after it (or by a rebuild
    // cut short) and is re-indexed from what the checkpoint says was covered.
    index.removeAll();
    return covered;
  }
  // After a clean close every file is complete. A log cut before the checkpointed file begins
  // (durable data was damaged) makes that file index nothing; trimmed the same way, it is not
  // kept to take new entries that the next clean open would delete.
  if (parts.clean || checkpointed.beginOffset > logEnd) {
    if (!slotsRebuilt(() => trimIndex(index, logEnd))) return rebuildWholeIndex(parts, logMin);
    return parts.clean ? covered : logEnd;
  }
  index.removeFrom(checkpointed.beginOffset + 1);
  const kept = clampOffset(checkpoint.indexFlushed, checkpointed.beginOffset, logEnd);
  const rebuilt = slotsRebuilt(() => checkpointed.rebuildFrom(checkpoint.indexEntryCount, logEnd, kept));
  return rebuilt ? kept : rebuildWholeIndex(parts, logMin);
}

/** Deletes every index file; the index is re-indexed from the start of the log. */
function rebuildWholeIndex(parts: RecoveryParts, logMin: number): number {
  parts.index.removeAll();
  forgetIndexFile(parts);
  return logMin;
}

/**
 * Runs a file's slot rebuild (IndexFile.rebuildFrom); false when it found damaged entries.
 * The index is derived data: damage means a rebuild from the log, not a store that will not
 * open.
 */
function slotsRebuilt(rebuild: () => void): boolean {
  try {
    rebuild();
    return true;
  } catch (error) {
    if (error instanceof StoreError && error.code === 'CORRUPT_STORE') return false;
    throw error;
  }
}

/**
 * Makes the checkpoint vouch for no index file and no coverage. The files a rebuild creates
 * can take the checkpointed file's name; with its old entry count, a rebuild cut short would
 * read as complete, zeros where entries belong, and keys would silently go unfound.
 */
function forgetIndexFile(parts: RecoveryParts): void {
  const { checkpoint } = parts;
  if (checkpoint.indexFileBegin < 0 && checkpoint.indexFlushed === 0) return;
  parts.rewriteCheckpoint({ ...checkpoint, indexFlushed: 0, indexFileBegin: -1, indexEntryCount: 0 });
}

/** Drops index files that begin at or past `logEnd` and entries of the newest past it. */
function trimIndex(index: IndexService, logEnd: number): void {
  index.removeFrom(logEnd);
  const last = index.last;
  if (last !== undefined && last.endOffset > logEnd) last.rebuildFrom(last.entryCount, logEnd, logEnd);
}

type RecordVisitor = (offset: number, record: ReturnType<typeof readRecord>) => void;

/**
 * Calls `visit` for every valid record in [from, end); returns how many there were. Records
 * at or past `verifiedFrom` passed the scan's checksum check already and are not checked again.
 */
function walkRecords(
  log: MappedFileQueue,
  from: number,
  end: number,
  verifiedFrom: number,
  visit: RecordVisitor,
): number {
  let count = 0;
  // Where to start can lie below the log's first segment (an index file older than it).
  let offset = Math.max(from, log.minOffset);
  while (offset < end) {
    const file = log.find(offset);
    if (file === undefined) break;
    const limit = Math.min(file.size, end - file.fromOffset);
    let position = offset - file.fromOffset;
    while (position < limit) {
      const verify = file.fromOffset + position < verifiedFrom;
      const check = checkRecord(file.buffer, file.view, position, file.size, file.fromOffset, verify);
      if (check.kind !== 'record') break;
      visit(file.fromOffset + position, readRecord(file.buffer, file.view, position));
      count++;
      position += check.size;
    }
    offset = file.endOffset;
  }
  return count;
}

/**
 * Dispatches records a master encoded and this log just took (replication) to their consume
 * queues and the index, as recovery re-dispatches a tail; returns the queues they went to.
 */
export function dispatchReplicated(
  parts: Pick<RecoveryParts, 'commitLog' | 'topics' | 'index'>,
  records: readonly { offset: number; size: number }[],
): Map<string, { topic: string; queueId: number }> {
  const touched = new Map<string, { topic: string; queueId: number }>();
  const first = records[0];
  if (first === undefined) return touched;
  // A log that starts past 0 (a replica that joined a trimmed master) starts its queues late too.
  const dispatcher = new Dispatcher(parts, first.offset, first.offset, new Set(), parts.commitLog.minOffset > 0);
  for (const { offset } of records) {
    const file = parts.commitLog.files.find(offset)!;
    const record = readRecord(file.buffer, file.view, offset - file.fromOffset);
    dispatcher.dispatch(offset, record);
    touched.set(`${record.topic}@${record.queueId}`, { topic: record.topic, queueId: record.queueId });
  }
  if (dispatcher.gaps.size > 0) {
    throw new StoreError('REPLICATION_DIVERGED', 'a replicated record skips queue offsets this store lacks');
  }
  return touched;
}

/** Re-dispatches records to consume queues and the index during recovery. */
class Dispatcher {
  readonly gaps = new Set<ConsumeQueue>();

  constructor(
    private readonly parts: Pick<RecoveryParts, 'topics' | 'index'>,
    private readonly queueFrom: number,
    private readonly indexFrom: number,
    private readonly rebuilding: ReadonlySet<ConsumeQueue>,
    /** An empty queue may begin at any queue offset (the log's first records are not here). */
    private readonly emptyQueuesStartLate = false,
  ) {}

  dispatch(offset: number, record: ReturnType<typeof readRecord>): void {
    const transaction = record.sysFlag & MESSAGE_SYS_FLAG.transactionMask;
    const topic = this.parts.topics.topic(record.topic);
    if (transaction !== MESSAGE_SYS_FLAG.transactionPrepared && transaction !== MESSAGE_SYS_FLAG.transactionRollback) {
      const queue = topic.queues[record.queueId];
      if ((queue !== undefined && this.rebuilding.has(queue)) || offset >= this.queueFrom) {
        this.toQueue(offset, record, queue ?? this.parts.topics.queueForWrite(topic, record.queueId));
      }
    }
    if (offset >= this.indexFrom && transaction !== MESSAGE_SYS_FLAG.transactionRollback) {
      const uniqueKey = findProperty(record.properties, PROPERTY.uniqueKey);
      const keys = findProperty(record.properties, PROPERTY.keys);
      const hashes: number[] = [];
      if (uniqueKey !== undefined) hashes.push(normalizeKeyHash(javaStringHash(uniqueKey, topic.indexHashSeed)));
      for (const key of keys?.split(KEY_SEPARATOR) ?? []) {
        if (key !== '') hashes.push(normalizeKeyHash(javaStringHash(key, topic.indexHashSeed)));
      }
      if (hashes.length > 0) {
        this.parts.index.putRecord(hashes, offset, offset + record.totalSize, record.storeTimestamp);
      }
    }
  }

  private toQueue(offset: number, record: ReturnType<typeof readRecord>, queue: ConsumeQueue): void {
    if (offset < queue.maxPhysicalEnd || this.gaps.has(queue)) return;
    const next = queue.maxQueueOffset;
    if (record.queueOffset < next) return;
    const empty = next <= queue.minQueueOffset;
    if (record.queueOffset > next && !(empty && (this.emptyQueuesStartLate || this.rebuilding.has(queue)))) {
      this.gaps.add(queue);
      return;
    }
    const tags = findProperty(record.properties, PROPERTY.tags);
    queue.put(record.queueOffset, offset, record.totalSize, tags === undefined ? 0 : javaStringHash(tags));
  }
}
