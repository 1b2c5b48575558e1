// The ordered, contiguous files of one log: commit log segments or one consume queue's files.
// File i starts at firstFrom + i * fileSize, so the file holding an offset is found by
// arithmetic, not search.
import assert from 'node:assert/strict';
import path from 'node:path';

import { MappedFile } from './mapped-file.js';
import type { SegmentAllocator } from './segment-allocator.js';
import { SegmentFileName } from './segment-file-name.js';
import { PAGE_BYTES } from './storage-constants.js';
import type { StorageFileSystem } from './storage-file-system.js';
import { StoreError } from './store-error.js';
import { invariant } from './invariant.js';

export class MappedFileQueue {
  readonly files: MappedFile[] = [];
  private directorySync: Promise<void> = Promise.resolve();
  private directorySyncError: StoreError | undefined;
  /** Times dropping a sealed, flushed file's pages from memory failed (its data is intact). */
  residentDropFailures = 0;
  /** Times faulting a file's pages in ahead of its writer failed (writes then fault themselves). */
  writePrefaultFailures = 0;
  /** Counts a failed prefault (what consume queues hand MappedFile.reserveThrough). */
  readonly prefaultFailed = (): void => {
    this.writePrefaultFailures++;
  };

  constructor(
    private readonly fileSystem: StorageFileSystem,
    readonly directory: string,
    readonly fileSize: number,
    private readonly allocator: SegmentAllocator | undefined,
    /** Files are sparse and written only after MappedFile.reserveThrough (consume queues). */
    private readonly lazilyReserved = false,
  ) {}

  /**
   * Maps every file in the directory. Names must be 20-digit offsets, sizes must equal
   * fileSize and the files must follow each other without a gap; anything else is corruption
   * the caller must see, not something to paper over. One exception: a kill between creating
   * a file and sizing it, or between the shrink and the re-extension of
   * MappedFile.truncateFrom, leaves the newest file short by whole pages; it is extended with
   * the zeros it was getting.
   */
  load(): void {
    this.fileSystem.makeDirectory(this.directory);
    const names = this.fileSystem.list(this.directory).sort();
    const newest = names.filter((name) => SegmentFileName.parse(name) !== undefined).at(-1);
    for (const name of names) {
      const fromOffset = SegmentFileName.parse(name);
      if (fromOffset === undefined) continue;
      const filePath = path.join(this.directory, name);
      let size = this.fileSystem.size(filePath);
      if (name === newest && size < this.fileSize && size % PAGE_BYTES === 0) {
        this.fileSystem.truncate(filePath, this.fileSize);
        // Its creation never finished, so its name may not be durable yet either.
        this.fileSystem.syncDirectory(this.directory);
        size = this.fileSize;
      }
      if (size !== this.fileSize) {
        throw new StoreError(
          size === 0 ? 'CORRUPT_STORE' : 'CONFIG_MISMATCH',
          `${filePath} is ${size} bytes but files here are ${this.fileSize} bytes`,
        );
      }
      const previous = this.files.at(-1);
      if (previous !== undefined && previous.endOffset !== fromOffset) {
        throw new StoreError('CORRUPT_STORE', `gap before ${filePath}`);
      }
      if (fromOffset % this.fileSize !== 0) {
        throw new StoreError('CONFIG_MISMATCH', `${filePath} does not start on a file boundary`);
      }
      this.files.push(MappedFile.open(this.fileSystem, filePath, fromOffset, this.fileSize, this.lazilyReserved));
    }
  }

  get last(): MappedFile | undefined {
    return this.files.at(-1);
  }

  get first(): MappedFile | undefined {
    return this.files[0];
  }

  /** The file holding `offset`, or undefined when no file covers it. */
  find(offset: number): MappedFile | undefined {
    const first = this.files[0];
    if (first === undefined || offset < first.fromOffset) return undefined;
    return this.files[Math.floor((offset - first.fromOffset) / this.fileSize)];
  }

  /** Offset of the first byte still present (the first file's start). */
  get minOffset(): number {
    return this.files[0]?.fromOffset ?? 0;
  }

  /** Offset just past the last written byte. */
  get wroteOffset(): number {
    const last = this.last;
    return last === undefined ? 0 : last.fromOffset + last.wrotePosition;
  }

  get flushedOffset(): number {
    for (const file of this.files) {
      if (file.flushedPosition < file.size) return file.fromOffset + file.flushedPosition;
    }
    return this.last?.endOffset ?? 0;
  }

  /**
   * The file to write at `offset`, creating it if needed. `offset` must be the current end:
   * either inside the last file or at the start of the next one.
   */
  fileForWrite(offset: number): MappedFile {
    const last = this.last;
    if (last !== undefined && offset < last.endOffset) {
      invariant(offset >= last.fromOffset, 'writes never go back');
      return last;
    }
    invariant(last === undefined || offset === last.endOffset, 'files are contiguous');
    const fromOffset = offset - (offset % this.fileSize);
    const file = this.allocator?.take(fromOffset) ?? this.createFile(fromOffset);
    if (last !== undefined && last.state === 'active') last.transition('sealed');
    this.files.push(file);
    this.syncDirectorySoon();
    return file;
  }

  /** Asks the allocator to get the file after the current last one (or the first) ready. */
  prepareNext(): void {
    this.allocator?.prepare(this.last?.endOffset ?? 0);
  }

  private createFile(fromOffset: number): MappedFile {
    this.fileSystem.makeDirectory(this.directory);
    const filePath = path.join(this.directory, SegmentFileName.format(fromOffset));
    if (this.lazilyReserved) return MappedFile.createLazy(this.fileSystem, filePath, fromOffset, this.fileSize);
    return MappedFile.createSync(this.fileSystem, filePath, fromOffset, this.fileSize);
  }

  /**
   * A new file's name is durable only once its directory is fsynced: without it a power cut
   * could take away a whole segment whose bytes were msynced. The fsync runs off the event
   * loop and flush() waits for it before reporting anything durable.
   */
  private syncDirectorySoon(): void {
    this.directorySync = this.directorySync
      .then(() => this.fileSystem.syncDirectoryAsync(this.directory))
      .catch((error: unknown) => {
        this.directorySyncError ??= StoreError.fromSystemError(error, `syncing ${this.directory}`);
      });
  }

  /**
   * msyncs every file with unflushed bytes, oldest first, so durability always covers a
   * prefix of the log. Resolves to the flushed offset.
   */
  async flush(): Promise<number> {
    await this.directorySync;
    if (this.directorySyncError !== undefined) throw this.directorySyncError;
    for (const file of this.files) {
      if (file.flushedPosition < file.wrotePosition) await file.flush();
      if (file.dropResidentIfSealed() !== undefined) this.residentDropFailures++;
    }
    return this.flushedOffset;
  }

  /** Total dirty pages, for the async flusher's threshold. */
  dirtyPages(): number {
    let pages = 0;
    for (const file of this.files) pages += file.dirtyPages();
    return pages;
  }

  /**
   * Cuts the log at `offset`: later files are deleted, the file holding it is truncated so
   * everything past it reads as zeros. The first file always stays. Recovery only.
   */
  truncateFrom(offset: number): void {
    let removed = false;
    while (this.files.length > 1 && this.last!.fromOffset >= offset) {
      this.files.pop()!.markDeleted();
      removed = true;
    }
    // Deleted files must stay deleted through a crash, or their stale records would come back.
    if (removed) this.fileSystem.syncDirectory(this.directory);
    const last = this.last;
    if (last === undefined) return;
    if (offset < last.endOffset) last.truncateFrom(Math.max(0, offset - last.fromOffset));
    if (last.state === 'sealed' && !last.isFull) last.transition('active');
  }

  /** Recovery: nothing from `offset` on is known durable; the next flush msyncs it all. */
  markUnflushedFrom(offset: number): void {
    for (const file of this.files) {
      if (file.endOffset > offset) file.markUnflushedFrom(Math.max(0, offset - file.fromOffset));
    }
  }

  /** Makes file creations and removals in the directory durable now. */
  syncDirectory(): void {
    try {
      this.fileSystem.syncDirectory(this.directory);
    } catch (error) {
      throw StoreError.fromSystemError(error, `syncing ${this.directory}`);
    }
  }

  /** Removes the oldest file (retention); the caller checks it is no longer needed. */
  removeFirst(): MappedFile | undefined {
    assert.ok(this.files.length > 1, 'the newest file is never removed');
    const removed = this.files.shift();
    removed?.markDeleted();
    // A removal that a crash undid would bring back stale contents; flush waits for this.
    this.syncDirectorySoon();
    return removed;
  }

  /** Removes every file (a consume queue whose data is all gone). */
  removeAll(): void {
    for (const file of this.files.splice(0)) file.markDeleted();
  }

  async close(): Promise<void> {
    await this.allocator?.close();
    await Promise.all(this.files.map((file) => file.close()));
  }
}
