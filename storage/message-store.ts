// The storage engine's facade: the embeddable, crash-safe log. It validates and appends
// messages to the commit log, dispatches them to their consume queue and the index in the
// same call, and keeps flushing, checkpointing and retention running in the background.
import path from 'node:path';

import { appendResult, type AppendResult } from './append-result.js';
import { AsyncFlusher } from './async-flusher.js';
import { OffsetMessageId } from '../protocol/offset-message-id.js';
import { Checkpoint, type CheckpointState } from './checkpoint.js';
import { ChecksumVerifier } from './checksum-verifier.js';
import { DiskUsageMonitor } from './disk-usage-monitor.js';
import { CommitLog } from './commit-log.js';
import { GroupCommit } from './group-commit.js';
import { parseHostAddress } from './host-address.js';
import { normalizeKeyHash } from './index-file.js';
import { resolveIndexGeometry } from './index-geometry.js';
import type { StorageFileSystem } from './storage-file-system.js';
import { IndexService } from './index-service.js';
import { javaStringHash } from '../protocol/java-string-hash.js';
import { MESSAGE_SYS_FLAG } from '../protocol/message-sys-flag.js';
import { MessageEncoder, type MessageInput, type PreparedMessage } from './message-encoder.js';
import { dispatchReplicated, recoverStore, type RecoveryReport } from './recovery.js';
import { Retention } from './retention.js';
import { ShutdownMarker } from './shutdown-marker.js';
import {
  DISK_CHECK_INTERVAL_MS,
  FLUSH_LEAST_PAGES,
  FLUSH_THOROUGH_INTERVAL_MS,
  INDEX_QUERY_COUNT_DEFAULT,
  MS_PER_HOUR,
  READ_FILTER_SCAN_ENTRIES_MIN,
  READ_FILTER_SCAN_ENTRIES_PER_MESSAGE,
} from './storage-constants.js';
import { StoreError } from './store-error.js';
import { StoreLock } from './store-lock.js';
import { resolveStoreOptions, type MessageStoreOptions, type ResolvedStoreOptions } from './store-options.js';
import { StoredMessage } from './stored-message.js';
import { TopicRegistry } from './topic-registry.js';

/**
 * What a read found: 'found' (messages), 'no_new_message' (at the queue's end), 'offset_too_small'
 * (before the oldest kept: start at the min offset), 'offset_overflow' (past the end), 'no_queue'
 * (no such queue yet).
 */
export type ReadStatus = 'found' | 'no_new_message' | 'offset_too_small' | 'offset_overflow' | 'no_queue';

/** The result of MessageStore.read: a status, the messages found, and the offset to read from next. */
export interface ReadResult {
  status: ReadStatus;
  messages: StoredMessage[];
  nextQueueOffset: number;
  minQueueOffset: number;
  maxQueueOffset: number;
}

/** A store's figures (MessageStore.stats): offsets, segments, disk use. */
export interface StoreStats {
  minOffset: number;
  maxOffset: number;
  flushedOffset: number;
  segments: number;
  allocationStalls: number;
  /**
   * Times faulting commit log or consume queue pages in ahead of the writer failed (appends then
   * fault themselves).
   */
  writePrefaultFailures: number;
  /**
   * Times the system refused to drop a sealed, flushed file's pages from the resident set
   * (an IO_ERROR; the data is intact, the process only holds more memory than it needs).
   */
  residentDropFailures: number;
  /** Used fraction of the file system holding the store, as last sampled. */
  diskUsedRatio: number;
}

/** What a replicated append took: the new log end and the queues that grew. */
export interface ReplicatedAppend {
  readonly end: number;
  readonly records: number;
  readonly queues: readonly { topic: string; queueId: number; maxQueueOffset: number }[];
}

/**
 * The embeddable, crash-safe log store: an mmap commit log in segments, a consume queue per topic
 * and queue, a key index, checkpoints and crash recovery (docs/embedding.md). Open with
 * MessageStore.open; failures are StoreErrors with stable codes, and bad input leaves the store
 * usable.
 */
export class MessageStore {
  private closed = false;
  private readOnly = false;
  private failure: StoreError | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly groupCommit: GroupCommit | undefined;
  private readonly flusher: AsyncFlusher | undefined;
  private readonly retention: Retention;
  private checkpointing: Promise<void> | undefined;
  private readonly verifier = new ChecksumVerifier();
  private readonly disk: DiskUsageMonitor;

  private constructor(
    readonly directory: string,
    readonly options: Readonly<ResolvedStoreOptions>,
    private readonly lock: StoreLock,
    private readonly checkpoint: Checkpoint,
    private readonly commitLog: CommitLog,
    private readonly topics: TopicRegistry,
    private readonly index: IndexService,
    private readonly encoder: MessageEncoder,
    /** What recovery found when the store was opened. */
    readonly recovery: RecoveryReport,
  ) {
    const now = options.clock;
    const fail = (error: StoreError): void => this.markFailed(error);
    if (options.flush === 'sync') {
      this.groupCommit = new GroupCommit(() => this.commitLog.flush(), options.syncFlushTimeoutMs, now, fail);
    } else {
      this.flusher = new AsyncFlusher(
        () => this.commitLog.flush(),
        () => this.commitLog.files.dirtyPages(),
        {
          intervalMs: options.flushIntervalMs,
          leastPages: FLUSH_LEAST_PAGES,
          thoroughIntervalMs: FLUSH_THOROUGH_INTERVAL_MS,
        },
        now,
        fail,
      );
    }
    this.disk = new DiskUsageMonitor(options.fileSystem, directory, options.diskFullRatio);
    this.retention = new Retention(commitLog, topics, index, {
      retentionMs: options.retentionHours * MS_PER_HOUR,
      diskRetentionRatio: options.diskRetentionRatio,
      diskUsedRatio: () => this.disk.sample(),
      releaseTimeoutMs: options.segmentReleaseTimeoutMs,
      floor: options.retentionFloor,
      now,
    });
  }

  /** Opens the store in `directory`, creating it or recovering what is there. */
  static async open(directory: string, options?: MessageStoreOptions): Promise<MessageStore> {
    const resolved = resolveStoreOptions(options);
    const storeHost = parseHostAddress(resolved.storeHost);
    const fileSystem = resolved.fileSystem;
    try {
      fileSystem.makeDirectory(directory);
    } catch (error) {
      throw StoreError.fromSystemError(error, `creating ${directory}`);
    }
    const lock = StoreLock.acquire(fileSystem, directory);
    // What a failed open already opened is closed again, so a retry finds nothing mapped.
    const opened: { close(): Promise<void> }[] = [];
    const track = <T extends { close(): Promise<void> }>(part: T): T => (opened.push(part), part);
    try {
      const clean = ShutdownMarker.wasClean(fileSystem, directory);
      const checkpoint = track(Checkpoint.open(fileSystem, directory));
      const preheat = { populate: resolved.preheat, lock: resolved.lockSegments };
      const commitLog = track(new CommitLog(fileSystem, directory, resolved.segmentBytes, preheat));
      const topics = track(new TopicRegistry(fileSystem, directory, resolved.consumeQueueEntriesPerFile));
      const indexDirectory = path.join(directory, 'index');
      const geometry = resolveIndexGeometry(options ?? {}, () => fileSystemBytes(fileSystem, directory));
      const index = track(new IndexService(fileSystem, indexDirectory, geometry.slotCount, geometry.entryCount));
      const recovery = recoverStore({
        commitLog,
        topics,
        index,
        checkpoint: checkpoint.state,
        rewriteCheckpoint: (state) => checkpoint.writeSync(state),
        clean,
        verifySegments: resolved.recoveryVerifySegments,
      });
      const encoder = new MessageEncoder(topics, storeHost, resolved.maxMessageBytes);
      const parts = [lock, checkpoint, commitLog, topics, index, encoder, recovery] as const;
      const store = new MessageStore(directory, resolved, ...parts);
      await store.writeCheckpoint();
      // Directory entries of the lock, checkpoint and subdirectories must survive a crash too.
      fileSystem.syncDirectory(directory);
      ShutdownMarker.markRunning(fileSystem, directory);
      store.start();
      return store;
    } catch (error) {
      await Promise.allSettled(opened.reverse().map((part) => part.close()));
      lock.release();
      throw asStoreError(error);
    }
  }

  /**
   * Cuts the log of the closed store in `directory` at `offset` (a record boundary at or below
   * its end), for a former master that rejoins as a replica: the records from `offset` on are
   * removed, and the next open (a clean one) trims consume queues and the index to the new end.
   * Returns how many bytes were removed.
   */
  static async truncateLog(directory: string, offset: number, options?: MessageStoreOptions): Promise<number> {
    const store = await MessageStore.open(directory, options);
    let removed = 0;
    try {
      const end = store.commitLog.maxOffset;
      const last = store.commitLog.lastRecordBefore(offset);
      const boundary =
        offset % store.commitLog.segmentBytes === 0 || (last !== undefined && last.offset + last.size === offset);
      if (!Number.isSafeInteger(offset) || offset > end || offset < store.commitLog.minOffset || !boundary)
        throw new StoreError('INVALID_OPTION', `${offset} is not a record boundary of this log (${end} end)`);
      removed = end - offset;
      if (removed > 0) {
        await store.checkpointing?.catch(() => undefined);
        store.commitLog.files.truncateFrom(offset);
      }
    } finally {
      await store.close();
    }
    return removed;
  }

  private start(): void {
    this.disk.sample();
    this.commitLog.prepareNextIfDue();
    this.flusher?.start();
    const every = (ms: number, task: () => Promise<unknown> | unknown): void => {
      this.timers.push(setInterval(() => void task(), ms).unref());
    };
    every(this.options.checkpointIntervalMs, () =>
      this.writeCheckpoint().catch(() => undefined /* the store is marked failed */),
    );
    const retain = (): void => {
      try {
        this.retention.run();
      } catch (error) {
        this.markFailed(asStoreError(error));
      }
    };
    every(this.options.retentionCheckIntervalMs, retain);
    every(DISK_CHECK_INTERVAL_MS, () => {
      try {
        if (this.disk.sample() >= this.options.diskRetentionRatio) retain();
      } catch (error) {
        this.markFailed(asStoreError(error));
      }
    });
  }

  /**
   * Appends one message; see the README's durability section for when the promise resolves in each
   * flush mode. With
   * `systemWrite`, for an embedder's own small bookkeeping records (the broker's state
   * machines), the append is not refused at diskFullRatio: that headroom is kept for them.
   */
  append(message: MessageInput, options?: { systemWrite?: boolean }): Promise<AppendResult> {
    try {
      this.assertWritable(options?.systemWrite === true);
      const now = this.options.clock();
      const prepared = this.prepare(message, now);
      const result = this.write(prepared);
      if (this.groupCommit === undefined) return this.commitLog.whenSealed(result);
      return this.groupCommit.waitFor(result.commitLogOffset + prepared.size).then(() => result);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Appends messages in order; all are validated before any is written. */
  appendBatch(messages: readonly MessageInput[]): Promise<AppendResult[]> {
    try {
      this.assertWritable();
      if (!Array.isArray(messages)) throw new StoreError('INVALID_MESSAGE', 'appendBatch takes an array');
      const now = this.options.clock();
      const prepared = messages.map((message) => this.prepare(message, now));
      const results = prepared.map((message) => this.write(message));
      this.commitLog.seal();
      const last = results.at(-1);
      if (this.groupCommit === undefined || last === undefined) return Promise.resolve(results);
      const end = last.commitLogOffset + prepared.at(-1)!.size;
      return this.groupCommit.waitFor(end).then(() => results);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Replication: takes records a master encoded at `offset` (this log's end; StoreError
   * REPLICATION_DIVERGED otherwise, or when a record's position or CRC-32C is wrong) and
   * dispatches them to their queues and the index. Resolves with the new log end once the flush
   * mode holds them (msynced under sync flush), with the queues that grew.
   */
  appendReplicated(offset: number, bytes: Buffer): Promise<ReplicatedAppend> {
    try {
      if (this.closed) throw new StoreError('STORE_CLOSED');
      if (this.failure !== undefined) throw new StoreError('STORE_FAILED', this.failure.message);
      const records = this.commitLog.appendEncoded(offset, bytes);
      let touched: Map<string, { topic: string; queueId: number }>;
      try {
        touched = dispatchReplicated({ commitLog: this.commitLog, topics: this.topics, index: this.index }, records);
      } catch (error) {
        const failure = asStoreError(error);
        this.markFailed(failure);
        throw failure;
      }
      const end = this.commitLog.maxOffset;
      this.index.dispatchedUpTo(end);
      const queues = [...touched.values()].map(({ topic, queueId }) => ({
        topic,
        queueId,
        maxQueueOffset: this.maxQueueOffset(topic, queueId),
      }));
      const result: ReplicatedAppend = { end, records: records.length, queues };
      if (this.groupCommit === undefined) return Promise.resolve(result);
      return this.groupCommit.waitFor(end).then(() => result);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Replication: the log's bytes from `offset` (a record boundary), whole records up to about
   * `maxBytes`, straight from the mapping and held until `release`; undefined when nothing is
   * there yet.
   */
  encodedFrom(offset: number, maxBytes: number): { bytes: Buffer; next: number; release: () => void } | undefined {
    if (this.closed) throw new StoreError('STORE_CLOSED');
    return this.commitLog.encodedFrom(offset, maxBytes);
  }

  /** Replication: the last record before `end` (offset, size, stored CRC-32C), to compare logs. */
  lastRecordBefore(end: number): { offset: number; size: number; checksum: number } | undefined {
    return this.commitLog.lastRecordBefore(end);
  }

  /**
   * A replica's store takes records only through appendReplicated: append, appendBatch and
   * embedders checking `readOnly` refuse with REPLICA_READ_ONLY, so its log stays a copy.
   */
  setReadOnly(readOnly: boolean): void {
    this.readOnly = readOnly;
  }

  get isReadOnly(): boolean {
    return this.readOnly;
  }

  /** Validates a message completely, the segment fit included, so a batch fails before any write. */
  private prepare(message: MessageInput, now: number): PreparedMessage {
    const prepared = this.encoder.prepare(message, now);
    if (!this.commitLog.fits(prepared.size)) {
      const detail = `a ${prepared.size}-byte record cannot fit a ${this.commitLog.segmentBytes}-byte segment`;
      throw new StoreError('BODY_TOO_LARGE', detail);
    }
    return prepared;
  }

  private write(message: PreparedMessage): AppendResult {
    const transaction = message.sysFlag & MESSAGE_SYS_FLAG.transactionMask;
    const toQueue =
      transaction !== MESSAGE_SYS_FLAG.transactionPrepared && transaction !== MESSAGE_SYS_FLAG.transactionRollback;
    const queue = toQueue ? this.topics.queueForWrite(message.topicEntry, message.queueId) : undefined;
    message.queueOffset = queue?.maxQueueOffset ?? 0;
    const indexed = transaction !== MESSAGE_SYS_FLAG.transactionRollback && message.keyHashes.length > 0;
    // Every file the record needs exists before it is appended: a full disk fails the append
    // cleanly instead of leaving a record in the log that its queue or the index lacks.
    queue?.prepareFor(message.queueOffset);
    if (indexed) this.index.prepareFor(message.keyHashes.length, this.commitLog.maxOffset);
    const offset = this.commitLog.append(message, message.size);
    const end = offset + message.size;
    try {
      queue?.put(message.queueOffset, offset, message.size, message.tagsCode);
      if (indexed) this.index.putRecord(message.keyHashes, offset, end, message.storeTimestamp);
      this.index.dispatchedUpTo(end);
    } catch (error) {
      // The record is in the log but not dispatched; only recovery can redo that.
      const failure = asStoreError(error);
      this.markFailed(failure);
      throw failure;
    }
    return appendResult(offset, message.queueOffset, message.storeTimestamp, message.uniqueKey, message.storeHost);
  }

  /**
   * Up to `maxCount` messages of a queue from `queueOffset`. With `filter`, entries whose tag
   * hash it rejects are skipped (the store scans at most READ_FILTER_SCAN_ENTRIES_MIN or
   * READ_FILTER_SCAN_ENTRIES_PER_MESSAGE x maxCount entries); if every scanned entry was
   * rejected the status is still 'found', with no messages and nextQueueOffset past them.
   */
  read(
    topic: string,
    queueId: number,
    queueOffset: number,
    maxCount: number,
    filter?: (tagsCode: number) => boolean,
  ): ReadResult {
    const queue = this.topics.find(topic, queueId);
    if (queue === undefined) {
      return { status: 'no_queue', messages: [], nextQueueOffset: 0, minQueueOffset: 0, maxQueueOffset: 0 };
    }
    this.commitLog.seal();
    const min = queue.minQueueOffset;
    const max = queue.maxQueueOffset;
    const result = (status: ReadStatus, next: number, messages: StoredMessage[] = []): ReadResult => ({
      status,
      messages,
      nextQueueOffset: next,
      minQueueOffset: min,
      maxQueueOffset: max,
    });
    if (queueOffset < min) return result('offset_too_small', min);
    if (queueOffset === max) return result('no_new_message', max);
    if (queueOffset > max) return result('offset_overflow', max);
    const messages: StoredMessage[] = [];
    const scanCount =
      filter === undefined
        ? maxCount
        : Math.max(READ_FILTER_SCAN_ENTRIES_MIN, maxCount * READ_FILTER_SCAN_ENTRIES_PER_MESSAGE);
    const scanEnd = Math.min(max, queueOffset + scanCount);
    let next = queueOffset;
    let blanks = 0;
    this.verifier.reset();
    while (next < scanEnd && messages.length < maxCount) {
      const entry = queue.entry(next);
      next++;
      if (entry === undefined) {
        blanks++;
        continue;
      }
      if (filter !== undefined && !filter(entry.tagsCode)) continue;
      const location = this.commitLog.recordAt(entry.commitLogOffset, entry.size, queueId, next - 1);
      if (location === undefined) {
        if (entry.commitLogOffset < this.commitLog.minOffset) continue;
        throw new StoreError('CORRUPT_STORE', `no intact record at commit log offset ${entry.commitLogOffset}`);
      }
      const { file, position } = location;
      this.verifier.add(file.buffer, position, entry.size, entry.commitLogOffset);
      messages.push(new StoredMessage(file.buffer, file.view, position, entry.commitLogOffset));
    }
    this.verifier.verify();
    const scannedOnlyBlanks = messages.length === 0 && blanks === next - queueOffset;
    return result(scannedOnlyBlanks ? 'no_new_message' : 'found', next, messages);
  }

  /**
   * Keeps the segment holding `commitLogOffset` mapped until the returned release is called,
   * even if retention deletes it meanwhile; for views handed to asynchronous I/O (a socket
   * write of a pull response). Undefined when no segment holds the offset any more.
   */
  hold(commitLogOffset: number): (() => void) | undefined {
    const file = this.commitLog.files.find(commitLogOffset);
    if (file === undefined || !file.hold()) return undefined;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      file.release();
    };
  }

  /**
   * The message stored at a commit log offset (an offset message id's offset), or undefined when
   * none starts there or it was deleted by retention.
   */
  readAt(commitLogOffset: number): StoredMessage | undefined {
    if (!Number.isSafeInteger(commitLogOffset)) return undefined;
    return this.commitLog.messageAt(commitLogOffset);
  }

  /**
   * Messages of `topic` whose msgId or one of whose KEYS equals `key`, oldest first. A msgId is
   * the producer's UNIQ_KEY (found through the index) or the offset id the store assigned,
   * which names the record's place and needs no index.
   */
  queryByKey(topic: string, key: string, maxCount: number = INDEX_QUERY_COUNT_DEFAULT): StoredMessage[] {
    const entry = this.topics.existing(topic);
    if (entry === undefined || typeof key !== 'string' || key === '') return [];
    this.commitLog.seal();
    const found = new Map<number, StoredMessage>();
    const byOffset = OffsetMessageId.decode(key);
    const located = byOffset === undefined ? undefined : this.commitLog.messageAt(byOffset.commitLogOffset);
    if (located !== undefined && located.topic === topic && located.offsetMsgId === key.toUpperCase()) {
      found.set(located.commitLogOffset, located);
    }
    const keyHash = normalizeKeyHash(javaStringHash(key, entry.indexHashSeed));
    this.index.lookup(keyHash, (offset) => {
      if (found.size >= maxCount) return false;
      if (found.has(offset)) return true;
      const message = this.commitLog.messageAt(offset);
      if (message !== undefined && message.topic === topic && (message.msgId === key || message.keys.includes(key))) {
        found.set(offset, message);
      }
      return found.size < maxCount;
    });
    return [...found.values()].sort((a, b) => a.commitLogOffset - b.commitLogOffset);
  }

  /** The oldest offset still kept in a queue (0 for a queue that does not exist). */
  minQueueOffset(topic: string, queueId: number): number {
    return this.topics.find(topic, queueId)?.minQueueOffset ?? 0;
  }

  /**
   * One past the newest offset of a queue: the offset the next append gets (0 for a queue that does
   * not exist).
   */
  maxQueueOffset(topic: string, queueId: number): number {
    return this.topics.find(topic, queueId)?.maxQueueOffset ?? 0;
  }

  /** Where the message at `queueOffset` of a queue starts in the commit log; undefined if none. */
  commitLogOffsetOf(topic: string, queueId: number, queueOffset: number): number | undefined {
    return this.topics.find(topic, queueId)?.entry(queueOffset)?.commitLogOffset;
  }

  /** The commit log offset where the next record goes. */
  get commitLogMaxOffset(): number {
    return this.commitLog.maxOffset;
  }

  /** The first queue offset whose message was stored at or after `timestampMs` (max if none). */
  searchQueueOffsetByTime(topic: string, queueId: number, timestampMs: number): number {
    const queue = this.topics.find(topic, queueId);
    if (queue === undefined) return 0;
    this.commitLog.seal();
    let low = queue.minQueueOffset;
    let high = queue.maxQueueOffset;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const entry = queue.entry(middle);
      const stored = entry === undefined ? undefined : this.commitLog.messageAt(entry.commitLogOffset);
      if (stored === undefined || stored.storeTimestamp < timestampMs) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /**
   * Deletes a topic's consume queues and their files (its records stay in the commit log until
   * retention, and the index still finds them by key). A checkpoint follows, so recovery does
   * not re-dispatch the topic's records into new queues. False when the topic had no queues.
   */
  async deleteTopicQueues(topic: string): Promise<boolean> {
    if (this.closed) throw new StoreError('STORE_CLOSED');
    const removed = this.topics.removeTopic(topic);
    if (removed) await this.flush();
    return removed;
  }

  /** Makes everything appended so far durable, consume queues and index included. */
  async flush(): Promise<void> {
    if (this.closed) throw new StoreError('STORE_CLOSED');
    await this.commitLog.flush();
    await this.writeCheckpoint();
  }

  /** Flushes everything, records a clean shutdown and releases the directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    this.flusher?.stop();
    await this.checkpointing?.catch(() => undefined);
    let failure: StoreError | undefined;
    try {
      const durable = await this.commitLog.flush();
      this.groupCommit?.settle(durable, new StoreError('STORE_CLOSED'));
      // A failed store's last good checkpoint stands: the next (unclean) open redoes the rest.
      if (this.failure === undefined) await this.writeCheckpoint(true);
    } catch (error) {
      failure = asStoreError(error);
      this.groupCommit?.settle(this.commitLog.files.flushedOffset, failure);
    }
    // Files are closed and unmapped even after a failure, so nothing leaks and a reopen works.
    const parts = [this.commitLog.close(), this.topics.close(), this.index.close(), this.checkpoint.close()];
    for (const outcome of await Promise.allSettled(parts)) {
      if (outcome.status === 'rejected') failure ??= asStoreError(outcome.reason);
    }
    try {
      if (failure === undefined && this.failure === undefined) {
        ShutdownMarker.markClean(this.options.fileSystem, this.directory);
      }
    } catch (error) {
      failure = asStoreError(error);
    } finally {
      this.lock.release();
    }
    if (failure !== undefined) throw failure;
  }

  /** Counters for monitoring and tests. */
  stats(): StoreStats {
    return {
      minOffset: this.commitLog.minOffset,
      maxOffset: this.commitLog.maxOffset,
      flushedOffset: this.commitLog.files.flushedOffset,
      segments: this.commitLog.files.files.length,
      allocationStalls: this.commitLog.allocationStalls,
      writePrefaultFailures: this.writePrefaultFailures(),
      residentDropFailures: this.residentDropFailures(),
      diskUsedRatio: this.disk.usedRatio,
    };
  }

  private writePrefaultFailures(): number {
    let failures = this.commitLog.writePrefaultFailures;
    for (const queue of this.topics.allQueues()) failures += queue.files.writePrefaultFailures;
    return failures;
  }

  private residentDropFailures(): number {
    let failures = this.commitLog.files.residentDropFailures + this.index.residentDropFailures;
    for (const queue of this.topics.allQueues()) failures += queue.files.residentDropFailures;
    return failures;
  }

  /**
   * Samples disk usage and runs one retention pass now (normally every
   * retentionCheckIntervalMs, and every second while the disk is past diskRetentionRatio).
   */
  runRetention(): number {
    this.disk.sample();
    return this.retention.run();
  }

  /**
   * msyncs consume queues and the index, then records in the checkpoint how far the log,
   * queues and index are durable. Offsets are taken before the msyncs start, so they never
   * claim more than is on disk.
   */
  private writeCheckpoint(closing = false): Promise<void> {
    // After a failed msync nothing this process flushes can be vouched for (Linux reports a
    // writeback error once; a retried msync can succeed with the data gone).
    if (this.failure !== undefined) {
      return Promise.reject(new StoreError('STORE_FAILED', this.failure.message, { cause: this.failure }));
    }
    if (this.checkpointing !== undefined && !closing) return this.checkpointing;
    const run = async (): Promise<void> => {
      this.commitLog.seal();
      const dispatched = this.commitLog.maxOffset;
      const indexFile = this.index.last;
      const indexEntryCount = indexFile?.entryCount ?? 0;
      const indexFlushed = this.index.indexedEnd;
      await Promise.all([...this.topics.allQueues()].map((queue) => queue.flush()));
      await this.index.flush();
      await this.topics.syncCatalog();
      const state: CheckpointState = {
        commitLogFlushed: this.commitLog.files.flushedOffset,
        consumeQueueFlushed: dispatched,
        indexFlushed,
        indexFileBegin: indexFile?.beginOffset ?? -1,
        indexEntryCount,
        writtenAt: this.options.clock(),
      };
      await this.checkpoint.write(state);
    };
    // A failed msync or checkpoint write leaves durability unknown, and Linux reports it once:
    // a retry would succeed falsely. Writes stop until a reopen re-verifies the files.
    const running = run()
      .catch((error: unknown) => {
        const failure = asStoreError(error);
        this.markFailed(failure);
        throw failure;
      })
      .finally(() => {
        if (this.checkpointing === running) this.checkpointing = undefined;
      });
    this.checkpointing = running;
    return running;
  }

  private assertWritable(systemWrite = false): void {
    if (this.closed) throw new StoreError('STORE_CLOSED');
    if (this.readOnly) throw new StoreError('REPLICA_READ_ONLY');
    if (this.failure !== undefined) throw new StoreError('STORE_FAILED', this.failure.message, { cause: this.failure });
    if (!systemWrite) this.disk.assertRoom();
  }

  private markFailed(error: StoreError): void {
    this.failure ??= error;
  }
}

/**
 * A typed error stays as it is; anything else (an errno the code did not expect, or a defect)
 * becomes IO_ERROR naming what it wraps, so a report shows the defect without its stack.
 */
function asStoreError(error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new StoreError('IO_ERROR', detail, { cause: error });
}

/** The size of the file system holding `directory` (used + available), undefined when unknown. */
function fileSystemBytes(fileSystem: StorageFileSystem, directory: string): number | undefined {
  try {
    const { usedBytes, availableBytes } = fileSystem.usage(directory);
    return usedBytes + availableBytes;
  } catch {
    return undefined; // The defaults then; the disk monitor reports a file system it cannot measure.
  }
}
