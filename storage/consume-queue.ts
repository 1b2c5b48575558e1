// One consume queue: the (topic, queueId) index into the commit log. Entry q sits at byte
// q * 20 of the queue's files, so reading by queue offset is arithmetic. The queue is derived
// data; recovery truncates or rebuilds it from the commit log.
//
// | offset | bytes | field           | meaning                                        |
// |--------|-------|-----------------|------------------------------------------------|
// |      0 |     8 | COMMITLOGOFFSET | where the record starts in the commit log      |
// |      8 |     4 | SIZE            | record length; 0 marks a blank (no entry)      |
// |     12 |     8 | TAGSCODE        | Java String.hashCode of TAGS, sign-extended    |
import assert from 'node:assert/strict';
import path from 'node:path';

import { Int64 } from './int64.js';
import type { MappedFile } from './mapped-file.js';
import { MappedFileQueue } from './mapped-file-queue.js';
import { CONSUME_QUEUE_ENTRY_BYTES } from './storage-constants.js';
import { invariant } from './invariant.js';
import type { StorageFileSystem } from './storage-file-system.js';

export const CONSUME_QUEUE_ENTRY_LAYOUT = { commitLogOffset: 0, size: 8, tagsCode: 12 } as const;

export interface ConsumeQueueEntry {
  commitLogOffset: number;
  size: number;
  tagsCode: number;
}

/** Takes the fields one by one: the append path writes an entry per message, allocation-free. */
export function writeConsumeQueueEntry(
  view: DataView,
  at: number,
  commitLogOffset: number,
  size: number,
  tagsCode: number,
): void {
  Int64.write(view, at + CONSUME_QUEUE_ENTRY_LAYOUT.commitLogOffset, commitLogOffset);
  view.setInt32(at + CONSUME_QUEUE_ENTRY_LAYOUT.size, size);
  Int64.write(view, at + CONSUME_QUEUE_ENTRY_LAYOUT.tagsCode, tagsCode);
}

export function readConsumeQueueEntry(view: DataView, at: number): ConsumeQueueEntry {
  return {
    commitLogOffset: Int64.read(view, at + CONSUME_QUEUE_ENTRY_LAYOUT.commitLogOffset),
    size: view.getInt32(at + CONSUME_QUEUE_ENTRY_LAYOUT.size),
    tagsCode: Int64.read(view, at + CONSUME_QUEUE_ENTRY_LAYOUT.tagsCode),
  };
}

/** How many trailing files recovery re-validates (RocketMQ: from the 3rd-from-last file). */
const RECOVERY_SCAN_FILES = 3;

export class ConsumeQueue {
  readonly files: MappedFileQueue;
  /** First queue offset that still has an entry. */
  minQueueOffset = 0;
  /** End (offset + size) of the newest entry's record; dispatch skips records before it. */
  maxPhysicalEnd = 0;

  constructor(
    fileSystem: StorageFileSystem,
    root: string,
    readonly topic: string,
    readonly queueId: number,
    entriesPerFile: number,
  ) {
    this.files = new MappedFileQueue(
      fileSystem,
      path.join(root, topic, String(queueId)),
      entriesPerFile * CONSUME_QUEUE_ENTRY_BYTES,
      undefined,
      true,
    );
  }

  /** Next queue offset to assign: one past the newest entry. */
  get maxQueueOffset(): number {
    return this.files.wroteOffset / CONSUME_QUEUE_ENTRY_BYTES;
  }

  /**
   * Appends the entry for `queueOffset`. Offsets normally arrive in order; a jump forward
   * (a queue rebuilt from a log whose head was deleted) leaves blank entries behind it.
   */
  put(queueOffset: number, commitLogOffset: number, size: number, tagsCode: number): void {
    const at = queueOffset * CONSUME_QUEUE_ENTRY_BYTES;
    invariant(at >= this.files.wroteOffset, 'consume queue entries are appended in order');
    if (this.maxQueueOffset <= this.minQueueOffset) this.minQueueOffset = queueOffset;
    const file = this.fileFor(at);
    const position = at - file.fromOffset;
    file.reserveThrough(position + CONSUME_QUEUE_ENTRY_BYTES, this.files.prefaultFailed);
    writeConsumeQueueEntry(file.view, position, commitLogOffset, size, tagsCode);
    file.wrotePosition = position + CONSUME_QUEUE_ENTRY_BYTES;
    this.maxPhysicalEnd = commitLogOffset + size;
  }

  /**
   * Creates the file entry `queueOffset` goes into, if needed, and reserves the entry's
   * blocks. Called before the record is appended to the commit log, so a full disk fails the
   * append instead of leaving a record its queue cannot list.
   */
  prepareFor(queueOffset: number): void {
    const at = queueOffset * CONSUME_QUEUE_ENTRY_BYTES;
    const file = this.fileFor(at);
    file.reserveThrough(at - file.fromOffset + CONSUME_QUEUE_ENTRY_BYTES, this.files.prefaultFailed);
  }

  private fileFor(at: number): MappedFile {
    let file = this.files.last;
    while (file === undefined || at >= file.endOffset) {
      if (file !== undefined) file.wrotePosition = file.size;
      file = this.files.fileForWrite(file === undefined ? at - (at % this.files.fileSize) : file.endOffset);
    }
    return file;
  }

  /** Locates entry `queueOffset`: the file's view and the byte position in it. */
  locate(queueOffset: number): { view: DataView; position: number } | undefined {
    const at = queueOffset * CONSUME_QUEUE_ENTRY_BYTES;
    const file = this.files.find(at);
    if (file === undefined) return undefined;
    return { view: file.view, position: at - file.fromOffset };
  }

  /** The entry at `queueOffset`, or undefined outside [min, max) or on a blank. */
  entry(queueOffset: number): ConsumeQueueEntry | undefined {
    if (queueOffset < this.minQueueOffset || queueOffset >= this.maxQueueOffset) return undefined;
    const location = this.locate(queueOffset);
    if (location === undefined) return undefined;
    const entry = readConsumeQueueEntry(location.view, location.position);
    return entry.size > 0 ? entry : undefined;
  }

  /**
   * Maps the queue's files and keeps the longest valid run of entries: each entry must have a
   * positive size, end at or before `physicalLimit` and start after the previous one ends.
   * Entries from the first invalid one on are zeroed. Leading blank entries of the first file
   * are padding from a rebuild, not damage.
   */
  recover(physicalLimit: number): void {
    this.files.load();
    const files = this.files.files;
    if (files.length === 0) return;
    // A queue can be ahead of the log by more than the scanned files (a stale checkpoint, a
    // lost log tail): step back to a file that starts with an entry to keep, or the queue would
    // come back empty, positioned past its valid entries. The scan checks order only from its
    // first entry on, so that entry must also start after the previous file's last one ends.
    const startsWithKept = (file: number): boolean => {
      const first = readConsumeQueueEntry(files[file]!.view, 0);
      const previous = files[file - 1]!;
      const last = readConsumeQueueEntry(previous.view, previous.size - CONSUME_QUEUE_ENTRY_BYTES);
      return (
        first.size > 0 &&
        first.commitLogOffset + first.size <= physicalLimit &&
        first.commitLogOffset >= last.commitLogOffset + last.size
      );
    };
    let startFile = Math.max(0, files.length - RECOVERY_SCAN_FILES);
    while (startFile > 0 && !startsWithKept(startFile)) startFile--;
    let at = files[startFile]!.fromOffset;
    const end = files.at(-1)!.endOffset;
    let previousEnd = -1;
    let leadingBlank = true;
    while (at < end) {
      const file = this.files.find(at)!;
      const entry = readConsumeQueueEntry(file.view, at - file.fromOffset);
      if (entry.size === 0 && entry.commitLogOffset === 0 && entry.tagsCode === 0 && leadingBlank) {
        at += CONSUME_QUEUE_ENTRY_BYTES;
        continue;
      }
      const valid =
        entry.size > 0 && entry.commitLogOffset >= previousEnd && entry.commitLogOffset + entry.size <= physicalLimit;
      if (!valid) break;
      if (leadingBlank && startFile === 0) this.minQueueOffset = at / CONSUME_QUEUE_ENTRY_BYTES;
      leadingBlank = false;
      previousEnd = entry.commitLogOffset + entry.size;
      at += CONSUME_QUEUE_ENTRY_BYTES;
    }
    if (leadingBlank) {
      // No valid entry at all in the scanned files: an empty queue positioned at their start.
      at = files[startFile]!.fromOffset;
      this.minQueueOffset = at / CONSUME_QUEUE_ENTRY_BYTES;
    } else if (startFile > 0) {
      this.minQueueOffset = this.firstEntryOffset();
    }
    this.files.truncateFrom(at);
    this.maxPhysicalEnd = Math.max(previousEnd, 0);
  }

  /** Removes leading files whose last entry points below `commitLogMinOffset`; never the last file. */
  private dropFilesBelow(commitLogMinOffset: number): void {
    const files = this.files.files;
    while (files.length > 1) {
      const first = files[0]!;
      const last = readConsumeQueueEntry(first.view, first.size - CONSUME_QUEUE_ENTRY_BYTES);
      if (last.commitLogOffset + last.size > commitLogMinOffset) break;
      this.files.removeFirst();
    }
  }

  /** Queue offset of the first non-blank entry of the first file. */
  private firstEntryOffset(): number {
    const first = this.files.first!;
    for (let position = 0; position < first.size; position += CONSUME_QUEUE_ENTRY_BYTES) {
      if (first.view.getInt32(position + CONSUME_QUEUE_ENTRY_LAYOUT.size) > 0) {
        return (first.fromOffset + position) / CONSUME_QUEUE_ENTRY_BYTES;
      }
    }
    return first.endOffset / CONSUME_QUEUE_ENTRY_BYTES;
  }

  /**
   * Drops files whose every entry points below `commitLogMinOffset` (retention removed their
   * records) and moves minQueueOffset to the first entry still backed by the log.
   */
  dropBelow(commitLogMinOffset: number): void {
    this.dropFilesBelow(commitLogMinOffset);
    const files = this.files.files;
    // Entries are blank before the first valid one and ordered after it, so "backed by the
    // log" is monotonic in the queue offset and a binary search finds the boundary.
    let low = Math.max(this.minQueueOffset, (files[0]?.fromOffset ?? 0) / CONSUME_QUEUE_ENTRY_BYTES);
    let high = this.maxQueueOffset;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const location = this.locate(middle)!;
      const entry = readConsumeQueueEntry(location.view, location.position);
      if (entry.size > 0 && entry.commitLogOffset >= commitLogMinOffset) high = middle;
      else low = middle + 1;
    }
    this.minQueueOffset = low;
  }

  flush(): Promise<number> {
    return this.files.flush();
  }

  close(): Promise<void> {
    return this.files.close();
  }
}
