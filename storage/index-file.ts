// One index file: a hash table from key hashes to commit log offsets, RocketMQ's IndexFile
// with a magic and version in front. Slots hold the newest entry number for their hash;
// entries chain to older ones through PREVENTRY, so a lookup walks newest to oldest.
//
// Header (48 bytes):
// | offset | bytes | field          | meaning                                          |
// |--------|-------|----------------|--------------------------------------------------|
// |      0 |     4 | MAGIC          | 0x54494458 ("TIDX")                              |
// |      4 |     4 | FORMAT_VERSION | 1                                                |
// |      8 |     8 | BEGINTIMESTAMP | store time of the first indexed record, ms       |
// |     16 |     8 | ENDTIMESTAMP   | store time of the newest indexed record, ms      |
// |     24 |     8 | BEGINOFFSET    | commit log offset of the first indexed record    |
// |     32 |     8 | ENDOFFSET      | end of the newest indexed record                 |
// |     40 |     4 | SLOTCOUNT      | hash slots                                       |
// |     44 |     4 | ENTRYCOUNT     | entries used + 1 (entry 0 is never used, so a    |
// |        |       |                | slot holding 0 is empty)                         |
// Then SLOTCOUNT x int32 slots, then entries of 20 bytes:
// | offset | bytes | field           | meaning                                         |
// |      0 |     4 | KEYHASH         | non-negative hash of "topic#key"                |
// |      4 |     8 | COMMITLOGOFFSET | the record                                      |
// |     12 |     4 | TIMEDIFFSECONDS | (store time - BEGINTIMESTAMP) / 1000            |
// |     16 |     4 | PREVENTRY       | older entry in the same slot, 0 = none          |
import assert from 'node:assert/strict';

import { Int64 } from './int64.js';
import { MappedFile } from './mapped-file.js';
import { StoreError } from './store-error.js';
import { invariant } from './invariant.js';
import type { StorageFileSystem } from './storage-file-system.js';

export const INDEX_MAGIC = 0x54494458;
export const INDEX_FORMAT_VERSION = 1;
export const INDEX_HEADER_BYTES = 48;
export const INDEX_SLOT_BYTES = 4;
export const INDEX_ENTRY_BYTES = 20;

export const INDEX_HEADER_LAYOUT = {
  magic: 0,
  formatVersion: 4,
  beginTimestamp: 8,
  endTimestamp: 16,
  beginOffset: 24,
  endOffset: 32,
  slotCount: 40,
  entryCount: 44,
} as const;

export const INDEX_ENTRY_LAYOUT = { keyHash: 0, commitLogOffset: 4, timeDiffSeconds: 12, previous: 16 } as const;

/** Entries walked per lookup at most: a guard against a corrupted, cyclic chain. */
const CHAIN_STEPS_MAX = 1_000_000;
const INT32_MAX = 0x7fffffff;

export function indexFileBytes(slotCount: number, entryCapacity: number): number {
  return INDEX_HEADER_BYTES + slotCount * INDEX_SLOT_BYTES + (entryCapacity + 1) * INDEX_ENTRY_BYTES;
}

/** A key hash as stored: Java's hash made non-negative. */
export function normalizeKeyHash(hash: number): number {
  return hash < 0 ? (hash === -0x80000000 ? 0 : -hash) : hash;
}

export class IndexFile {
  /** ENTRYCOUNT and BEGINTIMESTAMP, mirrored here so a put does not read them back. */
  private count: number;
  private beginTimestamp: number;

  private constructor(
    readonly file: MappedFile,
    readonly slotCount: number,
    readonly entryCapacity: number,
  ) {
    this.count = file.view.getInt32(INDEX_HEADER_LAYOUT.entryCount);
    this.beginTimestamp = Int64.read(file.view, INDEX_HEADER_LAYOUT.beginTimestamp);
  }

  static create(
    fileSystem: StorageFileSystem,
    path: string,
    beginOffset: number,
    slotCount: number,
    entryCapacity: number,
  ): IndexFile {
    // Sparse: the header and slots (written at random) are reserved now, entries as they come.
    const file = MappedFile.createLazy(fileSystem, path, beginOffset, indexFileBytes(slotCount, entryCapacity));
    try {
      file.reserveThrough(INDEX_HEADER_BYTES + slotCount * INDEX_SLOT_BYTES);
    } catch (error) {
      file.markDeleted();
      throw error;
    }
    const { view } = file;
    view.setUint32(INDEX_HEADER_LAYOUT.magic, INDEX_MAGIC);
    view.setUint32(INDEX_HEADER_LAYOUT.formatVersion, INDEX_FORMAT_VERSION);
    Int64.write(view, INDEX_HEADER_LAYOUT.beginOffset, beginOffset);
    Int64.write(view, INDEX_HEADER_LAYOUT.endOffset, beginOffset);
    view.setInt32(INDEX_HEADER_LAYOUT.slotCount, slotCount);
    view.setInt32(INDEX_HEADER_LAYOUT.entryCount, 1);
    file.wrotePosition = file.size;
    return new IndexFile(file, slotCount, entryCapacity);
  }

  /** Opens an existing file; its header decides the geometry. */
  static open(fileSystem: StorageFileSystem, path: string, beginOffset: number, fileBytes: number): IndexFile {
    const file = MappedFile.open(fileSystem, path, beginOffset, fileBytes, true);
    const { view } = file;
    const magic = view.getUint32(INDEX_HEADER_LAYOUT.magic);
    const version = view.getUint32(INDEX_HEADER_LAYOUT.formatVersion);
    const slotCount = view.getInt32(INDEX_HEADER_LAYOUT.slotCount);
    const entryBytes = fileBytes - INDEX_HEADER_BYTES - slotCount * INDEX_SLOT_BYTES;
    if (magic !== INDEX_MAGIC || version !== INDEX_FORMAT_VERSION || slotCount <= 0 || entryBytes <= 0) {
      void file.close();
      throw new StoreError('CORRUPT_STORE', `${path} is not an index file`);
    }
    const opened = new IndexFile(file, slotCount, entryBytes / INDEX_ENTRY_BYTES - 1);
    // A damaged count or range would send lookups past the file's end or to the wrong file.
    const count = opened.entryCount;
    const damaged =
      count < 1 ||
      count > opened.entryCapacity + 1 ||
      opened.beginOffset !== beginOffset ||
      opened.endOffset < beginOffset;
    if (damaged) {
      void file.close();
      throw new StoreError('CORRUPT_STORE', `${path} has a damaged header`);
    }
    try {
      // Recovery rewrites the slots and the chain links of the entries in use.
      opened.reserveEntries(0);
    } catch (error) {
      void file.close();
      throw error;
    }
    return opened;
  }

  /**
   * Reserves the blocks of the next `count` entries (and everything before them), so a full
   * disk fails here, before the record is appended, rather than as a SIGBUS in put.
   */
  reserveEntries(count: number): void {
    this.file.reserveThrough(this.entryPosition(Math.min(this.count + count, this.entryCapacity + 1)));
  }

  get beginOffset(): number {
    return Int64.read(this.file.view, INDEX_HEADER_LAYOUT.beginOffset);
  }

  get endOffset(): number {
    return Int64.read(this.file.view, INDEX_HEADER_LAYOUT.endOffset);
  }

  /** Entries in use, counting the unused entry 0. */
  get entryCount(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.entryCount > this.entryCapacity;
  }

  private entryPosition(entry: number): number {
    return INDEX_HEADER_BYTES + this.slotCount * INDEX_SLOT_BYTES + entry * INDEX_ENTRY_BYTES;
  }

  /** Adds an entry; the caller checks isFull first. */
  put(keyHash: number, commitLogOffset: number, storeTimestamp: number): void {
    const { view } = this.file;
    const entry = this.count;
    invariant(entry <= this.entryCapacity, 'index file is full');
    if (entry === 1) {
      Int64.write(view, INDEX_HEADER_LAYOUT.beginTimestamp, storeTimestamp);
      this.beginTimestamp = storeTimestamp;
    }
    const slotAt = INDEX_HEADER_BYTES + (keyHash % this.slotCount) * INDEX_SLOT_BYTES;
    const timeDiff = Math.min(INT32_MAX, Math.max(0, Math.floor((storeTimestamp - this.beginTimestamp) / 1000)));
    const at = this.entryPosition(entry);
    this.file.reserveThrough(at + INDEX_ENTRY_BYTES);
    view.setInt32(at + INDEX_ENTRY_LAYOUT.keyHash, keyHash);
    Int64.write(view, at + INDEX_ENTRY_LAYOUT.commitLogOffset, commitLogOffset);
    view.setInt32(at + INDEX_ENTRY_LAYOUT.timeDiffSeconds, timeDiff);
    view.setInt32(at + INDEX_ENTRY_LAYOUT.previous, view.getInt32(slotAt));
    view.setInt32(slotAt, entry);
    view.setInt32(INDEX_HEADER_LAYOUT.entryCount, entry + 1);
    this.count = entry + 1;
  }

  /** Records that every key of the records up to `endOffset` is indexed. */
  noteIndexedUpTo(endOffset: number, storeTimestamp: number): void {
    Int64.write(this.file.view, INDEX_HEADER_LAYOUT.endOffset, endOffset);
    Int64.write(this.file.view, INDEX_HEADER_LAYOUT.endTimestamp, storeTimestamp);
  }

  /** Calls `visit` with each commit log offset indexed under `keyHash`, newest first. */
  lookup(keyHash: number, visit: (commitLogOffset: number) => boolean): void {
    const { view } = this.file;
    const count = this.entryCount;
    let entry = view.getInt32(INDEX_HEADER_BYTES + (keyHash % this.slotCount) * INDEX_SLOT_BYTES);
    for (let steps = 0; entry > 0 && entry < count && steps < CHAIN_STEPS_MAX; steps++) {
      const at = this.entryPosition(entry);
      if (view.getInt32(at + INDEX_ENTRY_LAYOUT.keyHash) === keyHash) {
        if (!visit(Int64.read(view, at + INDEX_ENTRY_LAYOUT.commitLogOffset))) return;
      }
      const previous = view.getInt32(at + INDEX_ENTRY_LAYOUT.previous);
      if (previous >= entry) return;
      entry = previous;
    }
  }

  /**
   * Recovery after a crash: keeps entries [1, entryCount) of the last checkpoint, minus any
   * trailing ones pointing at or past `validEnd` (the recovered log end), and rebuilds every
   * slot and chain link from the kept entries, because slot pages may have reached disk
   * without their entries or the other way round. `coveredEnd` becomes ENDOFFSET: the log
   * offset up to which the kept entries are complete. Entries past the kept ones are left as
   * they are; nothing reads them, and new entries overwrite them. A kept entry with a negative
   * key hash (bit rot: put stores only normalized, non-negative hashes) would name a slot
   * outside the table: CORRUPT_STORE, thrown before anything is changed, and the caller
   * rebuilds the index from the log.
   */
  rebuildFrom(entryCount: number, validEnd: number, coveredEnd: number): void {
    const { view } = this.file;
    let kept = Math.min(entryCount, this.entryCapacity + 1);
    this.file.reserveThrough(this.entryPosition(kept));
    while (kept > 1) {
      const at = this.entryPosition(kept - 1);
      if (Int64.read(view, at + INDEX_ENTRY_LAYOUT.commitLogOffset) < validEnd) break;
      kept--;
    }
    for (let entry = 1; entry < kept; entry++) {
      if (view.getInt32(this.entryPosition(entry) + INDEX_ENTRY_LAYOUT.keyHash) < 0) {
        throw new StoreError('CORRUPT_STORE', `${this.file.path} entry ${entry} has a damaged key hash`);
      }
    }
    this.file.buffer.fill(0, INDEX_HEADER_BYTES, this.entryPosition(0));
    for (let entry = 1; entry < kept; entry++) {
      const at = this.entryPosition(entry);
      const keyHash = view.getInt32(at + INDEX_ENTRY_LAYOUT.keyHash);
      const slotAt = INDEX_HEADER_BYTES + (keyHash % this.slotCount) * INDEX_SLOT_BYTES;
      view.setInt32(at + INDEX_ENTRY_LAYOUT.previous, view.getInt32(slotAt));
      view.setInt32(slotAt, entry);
    }
    view.setInt32(INDEX_HEADER_LAYOUT.entryCount, kept);
    this.count = kept;
    Int64.write(view, INDEX_HEADER_LAYOUT.endOffset, Math.max(this.beginOffset, coveredEnd));
  }

  /** Slots change anywhere in the file, so a flush covers all of it; msync skips clean pages. */
  flush(): Promise<void> {
    return this.file.flushWhole();
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
