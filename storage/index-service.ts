// The index over all index files: routes each key to the newest file, rolls to a new file
// when one fills, answers lookups newest file first, and drops files whose records are gone.
import path from 'node:path';

import { INDEX_HEADER_BYTES, INDEX_HEADER_LAYOUT, IndexFile } from './index-file.js';
import { SegmentFileName } from './segment-file-name.js';
import { StoreError } from './store-error.js';
import type { StorageFileSystem } from './storage-file-system.js';

export class IndexService {
  readonly files: IndexFile[] = [];
  private readonly dirty = new Set<IndexFile>();
  /** A file was created since the directory was last synced. */
  private directoryChanged = false;
  private coveredEnd = 0;
  /** Files load() found damaged and deleted: the index must be rebuilt from the log. */
  damagedFiles = 0;
  /** Times dropping a full, flushed index file's pages from memory failed (its data is intact). */
  residentDropFailures = 0;

  constructor(
    private readonly fileSystem: StorageFileSystem,
    readonly directory: string,
    private readonly slotCount: number,
    private readonly entryCapacity: number,
  ) {}

  /**
   * Opens every index file. A kill between creating the newest file and writing its header
   * (entry count last) leaves it empty or headerless; it indexed nothing, so it is deleted.
   * A file whose header is damaged (bit rot) is deleted and counted in damagedFiles: the index
   * is derived data, and recovery rebuilds it from the log rather than refuse to open.
   */
  load(): void {
    this.fileSystem.makeDirectory(this.directory);
    const names = this.fileSystem.list(this.directory).sort();
    const newest = names.filter((name) => SegmentFileName.parse(name) !== undefined).at(-1);
    for (const name of names) {
      const beginOffset = SegmentFileName.parse(name);
      if (beginOffset === undefined) continue;
      const filePath = path.join(this.directory, name);
      if (name === newest && !hasHeader(this.fileSystem, filePath)) {
        this.fileSystem.remove(filePath);
        continue;
      }
      try {
        this.files.push(IndexFile.open(this.fileSystem, filePath, beginOffset, this.fileSystem.size(filePath)));
      } catch (error) {
        if (!(error instanceof StoreError && error.code === 'CORRUPT_STORE')) throw error;
        this.fileSystem.remove(filePath);
        this.damagedFiles++;
      }
    }
  }

  get last(): IndexFile | undefined {
    return this.files.at(-1);
  }

  /**
   * End of the log range the index covers: every record before it that has keys is indexed.
   * Records without keys advance it too (dispatchedUpTo), so it is not the newest file's end.
   */
  get indexedEnd(): number {
    return Math.max(this.coveredEnd, this.last?.endOffset ?? 0);
  }

  /** Records that every record ending at or before `end` has been offered to the index. */
  dispatchedUpTo(end: number): void {
    this.coveredEnd = end;
  }

  /** Sets the covered end after recovery decided it. */
  resetCoveredEnd(end: number): void {
    this.coveredEnd = end;
  }

  /**
   * Indexes one record under each of `keyHashes`, all in one file: a record whose keys would
   * not fit starts a new file that begins at the record.
   */
  /**
   * Rolls to a new file now if `keyCount` more entries would not fit, before the record is
   * appended at or after `nextOffset`, so a full disk fails the append rather than leaving a
   * record unindexed. No record lies between nextOffset and the record (at most a segment's
   * blank end), so the new file's begin offset still bounds its records from below.
   */
  prepareFor(keyCount: number, nextOffset: number): void {
    const file = this.fits(keyCount) ? this.last! : this.roll(nextOffset);
    file.reserveEntries(keyCount);
  }

  private fits(keyCount: number): boolean {
    const file = this.last;
    return file !== undefined && file.entryCount + keyCount <= file.entryCapacity + 1;
  }

  putRecord(keyHashes: readonly number[], commitLogOffset: number, recordEnd: number, storeTimestamp: number): void {
    const file = this.fits(keyHashes.length) ? this.last! : this.roll(commitLogOffset);
    for (const keyHash of keyHashes) file.put(keyHash, commitLogOffset, storeTimestamp);
    file.noteIndexedUpTo(recordEnd, storeTimestamp);
    this.dirty.add(file);
  }

  private roll(beginOffset: number): IndexFile {
    const filePath = path.join(this.directory, SegmentFileName.format(beginOffset));
    try {
      const file = IndexFile.create(this.fileSystem, filePath, beginOffset, this.slotCount, this.entryCapacity);
      this.files.push(file);
      this.directoryChanged = true;
      return file;
    } catch (error) {
      throw error instanceof StoreError ? error : StoreError.fromSystemError(error, `creating ${filePath}`);
    }
  }

  /** Visits candidate commit log offsets for `keyHash`, newest first, until visit says stop. */
  lookup(keyHash: number, visit: (commitLogOffset: number) => boolean): void {
    let going = true;
    const guarded = (offset: number): boolean => (going = visit(offset));
    for (let i = this.files.length - 1; i >= 0 && going; i--) this.files[i]!.lookup(keyHash, guarded);
  }

  /** Deletes files whose every record lies below `commitLogMinOffset`; never the newest. */
  dropBelow(commitLogMinOffset: number): void {
    while (this.files.length > 1 && this.files[0]!.endOffset <= commitLogMinOffset) {
      const removed = this.files.shift()!;
      this.dirty.delete(removed);
      removed.file.markDeleted();
    }
  }

  /** Deletes every file (before a rebuild). */
  removeAll(): void {
    for (const file of this.files.splice(0)) file.file.markDeleted();
    this.dirty.clear();
  }

  /** Deletes files that begin at or after `offset` (recovery, newest first). */
  removeFrom(offset: number): void {
    while (this.files.length > 0 && this.last!.beginOffset >= offset) {
      const removed = this.files.pop()!;
      this.dirty.delete(removed);
      removed.file.markDeleted();
    }
  }

  /**
   * msyncs the files written since the last flush, then the directory if a file was created,
   * so a checkpoint written afterwards never names a file a power cut can take away (which
   * would cost a rebuild of the whole index). A full file that is not the newest takes no
   * more entries: once flushed its pages leave the resident set (MappedFile.dropResident).
   */
  async flush(): Promise<void> {
    const files = [...this.dirty];
    this.dirty.clear();
    await Promise.all(files.map((file) => file.flush()));
    if (this.directoryChanged) {
      this.directoryChanged = false;
      await this.fileSystem.syncDirectoryAsync(this.directory).catch((error: unknown) => {
        this.directoryChanged = true;
        throw StoreError.fromSystemError(error, `syncing ${this.directory}`);
      });
    }
    // Every full file, not only those just flushed: one that filled while it was still the
    // newest is never dirty again. dropResident acts once per file, a flag test after that.
    for (const file of this.files) {
      if (!file.isFull || file === this.last || this.dirty.has(file)) continue;
      if (file.file.dropResident() !== undefined) this.residentDropFailures++;
    }
  }

  /** Flushes and closes every file; files are closed even when the flush fails. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await Promise.all(this.files.map((file) => file.close()));
    }
  }
}

/** True when the file holds a complete header: IndexFile.create writes the entry count last. */
function hasHeader(fileSystem: StorageFileSystem, filePath: string): boolean {
  const header = Buffer.alloc(INDEX_HEADER_BYTES);
  const file = fileSystem.open(filePath, 'open');
  try {
    const read = file.read(header, 0);
    return read === INDEX_HEADER_BYTES && header.readInt32BE(INDEX_HEADER_LAYOUT.entryCount) !== 0;
  } finally {
    file.close();
  }
}
