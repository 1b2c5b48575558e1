// The commit log: every message of every topic, appended in one sequence of segments. A
// record never spans two segments: one that does not fit goes to the next segment behind a
// blank marker that fills the rest of the current one.
import path from 'node:path';

import { ChecksumBatch } from './checksum-batch.js';
import type { MappedFile, PreheatOptions } from './mapped-file.js';
import { MappedFileQueue } from './mapped-file-queue.js';
import {
  BLANK_MARKER_BYTES,
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
