// The commit log: every message of every topic, appended in one sequence of segments. A
// record never spans two segments: one that does not fit goes to the next segment behind a
// blank marker that fills the rest of the current one.
import path from 'node:path';

import { ChecksumBatch } from './checksum-batch.js';
import type { MappedFile, PreheatOptions } from './mapped-file.js';
import { MappedFileQueue } from './mapped-file-queue.js';
import {
  BLANK_MARKER_BYTES,
  MAGIC_BLANK,
  MAGIC_MESSAGE_V1,
  RECORD_LAYOUT,
  checkRecord,
  writeBlankMarker,
  writeRecord,
  type RecordFields,
} from './message-record.js';
import { Int64 } from './int64.js';
import { SegmentAllocator } from './segment-allocator.js';
import { SEGMENT_PREPARE_NEXT_FULL_RATIO } from './storage-constants.js';
import { StoredMessage } from './stored-message.js';
import { StoreError } from './store-error.js';
import type { StorageFileSystem } from './storage-file-system.js';

export class CommitLog {
  readonly files: MappedFileQueue;
  private readonly checksums = new ChecksumBatch();
  private sealScheduled = false;
  private readonly sealTask = (): void => {
    this.sealScheduled = false;
    this.seal();
  };
  /** Appends waiting for their checksums: resolved together by the next seal. */
  private sealResolvers: ((value: unknown) => void)[] = [];
  private sealValues: unknown[] = [];

  private readonly allocator: SegmentAllocator;
  /** Write position in the active segment past which the next one is prepared. */
  private readonly prepareNextAt: number;
  /** Pages ahead of the writer are faulted in for writing (with the preheat's populate). */
  private readonly prefault: boolean;
  /** Times faulting pages in ahead of the writer failed (appends then take the faults). */
  writePrefaultFailures = 0;
  private readonly prefaultFailed = (): void => {
    this.writePrefaultFailures++;
  };

  constructor(
    fileSystem: StorageFileSystem,
    directory: string,
    readonly segmentBytes: number,
    preheat: PreheatOptions,
  ) {
    this.prefault = preheat.populate;
    this.prepareNextAt = Math.floor(segmentBytes * SEGMENT_PREPARE_NEXT_FULL_RATIO);
    const segmentDirectory = path.join(directory, 'commitlog');
    this.allocator = new SegmentAllocator(fileSystem, segmentDirectory, segmentBytes, preheat);
    this.files = new MappedFileQueue(fileSystem, segmentDirectory, segmentBytes, this.allocator);
  }

  /** Prepares the first segment, or the next one once the active one is full enough. */
  prepareNextIfDue(): void {
    const last = this.files.last;
    if (last === undefined || last.wrotePosition >= this.prepareNextAt) this.files.prepareNext();
  }

  /** Times an append had to create a segment itself because preallocation was not ready. */
  get allocationStalls(): number {
    return this.allocator.stalls;
  }

  get minOffset(): number {
    return this.files.minOffset;
  }

  /** Offset where the next record goes (end of the last record or blank). */
  get maxOffset(): number {
    return this.files.wroteOffset;
  }

  /**
   * True when a record of `size` bytes can ever be stored: it must fill a fresh segment exactly
   * or leave room for a blank marker after it.
   */
  fits(size: number): boolean {
    return size === this.segmentBytes || size + BLANK_MARKER_BYTES <= this.segmentBytes;
  }

  /**
   * Writes `fields` as the next record and returns its offset (also set as
   * fields.physicalOffset). The checksum is sealed before the end of the current tick and
   * before any read or flush.
   */
  append(fields: RecordFields, size: number): number {
    let offset = this.files.wroteOffset;
    let file = this.files.fileForWrite(offset);
    let position = offset - file.fromOffset;
    const left = file.size - position;
    if (size !== left && size + BLANK_MARKER_BYTES > left) {
      writeBlankMarker(file.view, position, left);
      file.wrotePosition = file.size;
      offset += left;
      file = this.files.fileForWrite(offset);
      position = 0;
    }
    fields.physicalOffset = offset;
    writeRecord(file.buffer, file.view, position, fields);
    file.wrotePosition = position + size;
    if (file.wrotePosition >= this.prepareNextAt) this.files.prepareNext();
    if (this.prefault) file.prefaultAhead(this.prefaultFailed);
    this.checksums.add(file.buffer, position, size);
    if (!this.sealScheduled) {
      this.sealScheduled = true;
      queueMicrotask(this.sealTask);
    }
    return offset;
  }

  /**
   * Resolves with `value` once the checksums of everything appended so far are sealed. Appends
   * that await this resolve together, so the appends their continuations make all land before
   * the next seal: 256 appenders awaiting one append each get one native checksum call per
   * round, not one per append.
   */
  whenSealed<T>(value: T): Promise<T> {
    return new Promise<T>((resolve) => {
      this.sealResolvers.push(resolve as (value: unknown) => void);
      this.sealValues.push(value);
    });
  }

  /** Seals pending checksums now; every reader and flusher calls this first. */
  seal(): void {
    this.checksums.seal();
    if (this.sealResolvers.length === 0) return;
    const resolvers = this.sealResolvers;
    const values = this.sealValues;
    this.sealResolvers = [];
    this.sealValues = [];
    for (let i = 0; i < resolvers.length; i++) resolvers[i]!(values[i]);
  }

  /**
   * The segment and position of a valid record at `offset`, or undefined when `offset` is not
   * the start of an intact record (wrong magic, length or checksum, or outside the log).
   */
  locate(offset: number): { file: MappedFile; position: number } | undefined {
    if (offset < this.minOffset || offset >= this.maxOffset) return undefined;
    const file = this.files.find(offset);
    if (file === undefined) return undefined;
    this.seal();
    const position = offset - file.fromOffset;
    if (position + BLANK_MARKER_BYTES > file.wrotePosition) return undefined;
    if (file.view.getUint32(position + RECORD_LAYOUT.magic) !== MAGIC_MESSAGE_V1) return undefined;
    const check = checkRecord(file.buffer, file.view, position, file.wrotePosition, file.fromOffset);
    return check.kind === 'record' ? { file, position } : undefined;
  }

  /**
   * Where the record a consume queue entry names lies, after the cheap checks (in bounds,
   * magic, length, position, queue and queue offset, so a damaged entry never yields another
   * queue's message); the caller verifies checksums in a batch. Undefined when the entry does
   * not point at such a record.
   */
  recordAt(
    offset: number,
    size: number,
    queueId: number,
    queueOffset: number,
  ): { file: MappedFile; position: number } | undefined {
    const file = this.files.find(offset);
    if (file === undefined) return undefined;
    const position = offset - file.fromOffset;
    const { view } = file;
    if (position + size > file.wrotePosition || size < BLANK_MARKER_BYTES) return undefined;
    if (view.getInt32(position) !== size) return undefined;
    if (view.getUint32(position + RECORD_LAYOUT.magic) !== MAGIC_MESSAGE_V1) return undefined;
    if (Int64.read(view, position + RECORD_LAYOUT.physicalOffset) !== offset) return undefined;
    if (view.getInt32(position + RECORD_LAYOUT.queueId) !== queueId) return undefined;
    if (Int64.read(view, position + RECORD_LAYOUT.queueOffset) !== queueOffset) return undefined;
    return { file, position };
  }

  /** The message at `offset` if an intact record starts there. */
  messageAt(offset: number): StoredMessage | undefined {
    const location = this.locate(offset);
    if (location === undefined) return undefined;
    const { file, position } = location;
    return new StoredMessage(file.buffer, file.view, position, offset);
  }

  /**
   * Writes records a master encoded (replication) at `offset`, which must be this log's end (or,
   * for an empty log, any segment start), and
   * returns the offset and size of each. `bytes` are whole records (and at most one closing blank
   * marker) of one segment; each must sit at its own physical offset and pass its CRC-32C, else
   * nothing counts as written and the bytes are zeroed again.
   */
  appendEncoded(offset: number, bytes: Buffer): { offset: number; size: number }[] {
    // An empty log starts where its master's does (retention moved that past 0): its empty
    // first segment, if any, gives way to one at `offset`.
    const startsLate = this.maxOffset === 0 && offset > 0 && offset % this.segmentBytes === 0;
    if (startsLate) {
      this.files.removeAll();
      this.files.syncDirectory();
    } else if (offset !== this.maxOffset) {
      throw new StoreError(
        'REPLICATION_DIVERGED',
        `a stream from ${offset} does not continue this log at ${this.maxOffset}`,
      );
    }
    const file = this.files.fileForWrite(offset);
    const start = offset - file.fromOffset;
    const end = start + bytes.length;
    if (end > file.size) throw new StoreError('REPLICATION_DIVERGED', `records from ${offset} cross a segment end`);
    bytes.copy(file.buffer, start);
    const records: { offset: number; size: number }[] = [];
    let position = start;
    while (position < end) {
      const check = checkRecord(file.buffer, file.view, position, file.size, file.fromOffset);
      const sent = check.kind === 'invalid' ? 0 : check.kind === 'blank' ? BLANK_MARKER_BYTES : check.size;
      if (check.kind === 'invalid' || position + sent > end) {
        file.buffer.fill(0, start, end);
        const reason = check.kind === 'invalid' ? check.reason : 'a record runs past the bytes sent';
        throw new StoreError('REPLICATION_DIVERGED', `record at ${file.fromOffset + position}: ${reason}`);
      }
      if (check.kind === 'blank') {
        if (position + sent !== end) break; // Refused below: bytes after a blank marker.
        file.wrotePosition = file.size;
        this.files.prepareNext();
        return records;
      }
      records.push({ offset: file.fromOffset + position, size: check.size });
      position += check.size;
    }
    if (position !== end) {
      file.buffer.fill(0, start, end);
      throw new StoreError('REPLICATION_DIVERGED', `bytes follow the blank marker at ${file.fromOffset + position}`);
    }
    file.wrotePosition = end;
    // As append does: the next segment ready before it is needed, pages faulted in ahead.
    if (end >= this.prepareNextAt) this.files.prepareNext();
    if (this.prefault) file.prefaultAhead(this.prefaultFailed);
    return records;
  }

  /**
   * The segment bytes from `offset` (a record boundary) to at most `maxBytes`, ending on a
   * record boundary, with a hold on their segment and the offset that follows them (past a
   * closing blank marker, the next segment); undefined when nothing is there yet.
   */
  encodedFrom(offset: number, maxBytes: number): { bytes: Buffer; next: number; release: () => void } | undefined {
    this.seal();
    if (offset >= this.maxOffset) return undefined;
    const file = this.files.find(offset);
    if (file === undefined || offset < this.minOffset) {
      throw new StoreError(
        'REPLICATION_DIVERGED',
        `offset ${offset} is no longer in the log (it starts at ${this.minOffset})`,
      );
    }
    const start = offset - file.fromOffset;
    const limit = file.wrotePosition;
    let end = start;
    let next: number | undefined;
    while (end < limit) {
      // A blank marker goes as its header only: the replica's copy fills its segment the same way.
      if (file.view.getUint32(end + RECORD_LAYOUT.magic) === MAGIC_BLANK) {
        end += BLANK_MARKER_BYTES;
        next = file.endOffset;
        break;
      }
      const size = file.view.getInt32(end);
      if (size <= 0 || end + size > limit) break;
      if (end > start && end + size - start > maxBytes) break;
      end += size;
    }
    if (end === start || !file.hold()) return undefined;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      file.release();
    };
    return { bytes: file.buffer.subarray(start, end), next: next ?? file.fromOffset + end, release };
  }

  /** The last record before `end` (its offset, size and stored checksum), undefined if none. */
  lastRecordBefore(end: number): { offset: number; size: number; checksum: number } | undefined {
    if (end <= this.minOffset) return undefined;
    this.seal();
    const file = this.files.find(end - 1);
    if (file === undefined) return undefined;
    const limit = end - file.fromOffset;
    let position = 0;
    let last: number | undefined;
    while (position < limit) {
      const size = file.view.getInt32(position);
      if (size <= 0 || file.view.getUint32(position + RECORD_LAYOUT.magic) !== MAGIC_MESSAGE_V1) break;
      last = position;
      position += size;
    }
    if (last === undefined) return undefined;
    return {
      offset: file.fromOffset + last,
      size: file.view.getInt32(last),
      checksum: file.view.getUint32(last + RECORD_LAYOUT.checksum),
    };
  }

  /** msyncs everything written so far; resolves to the durable offset. */
  flush(): Promise<number> {
    this.seal();
    return this.files.flush();
  }

  async close(): Promise<void> {
    this.seal();
    await this.files.close();
  }
}
