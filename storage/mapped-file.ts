// One memory-mapped file of fixed size: a commit log segment, a consume queue file or an
// index file. Appenders write through `buffer`/`view`; msync moves `flushedPosition` up to
// `wrotePosition`. Readers that keep views past a synchronous call hold() the file, and a
// deleted file is unmapped only once the last holder releases it (or a timeout forces it).
import assert from 'node:assert/strict';
import os from 'node:os';

import { LAZY_RESERVE_STEP_BYTES_MAX, PAGE_BYTES } from './storage-constants.js';
import type { StorageFile, StorageFileSystem, StorageMapping } from './storage-file-system.js';
import { StoreError } from './store-error.js';

/**
 * Lifecycle of a mapped file.
 *
 * | from      | to                  | when                                              |
 * |-----------|---------------------|---------------------------------------------------|
 * | allocated | active, deleting    | the log rolls into it / it is discarded unused    |
 * | allocated | released            | shutdown                                          |
 * | active    | sealed, released    | the log rolls past it / shutdown                  |
 * | sealed    | deleting, released  | retention or truncation removes it / shutdown     |
 * | sealed    | active              | recovery reopens the newest file for appends      |
 * | active    | deleting            | recovery truncates a file that held no valid data |
 * | deleting  | released            | the last holder lets go (or the timeout fires)    |
 */
export type MappedFileState = 'allocated' | 'active' | 'sealed' | 'deleting' | 'released';

const TRANSITIONS: Readonly<Record<MappedFileState, readonly MappedFileState[]>> = {
  allocated: ['active', 'deleting', 'released'],
  active: ['sealed', 'deleting', 'released'],
  sealed: ['deleting', 'released', 'active'],
  deleting: ['released'],
  released: [],
};

export interface PreheatOptions {
  /** Fault every page in ahead of use (else only preallocate the file's blocks). */
  readonly populate: boolean;
  /** mlock the file after faulting it in. */
  readonly lock: boolean;
}

/**
 * How far ahead of the writer an active file's pages are faulted in for writing. The first
 * store into each clean page of a shared mapping traps to the kernel (which marks the page
 * dirty); taken on a pool thread ahead of time, appending 16 KiB records ran 3-4x faster in a
 * micro-measurement. The window is short so the pages' zeros are overwritten by real records
 * long before writeback would put them on disk.
 */
export const WRITE_PREFAULT_WINDOW_BYTES = 16 * 1024 * 1024;
/** The next window is requested once the writer is this close to the end of the last one. */
const WRITE_PREFAULT_REFILL_BYTES = 8 * 1024 * 1024;
/**
 * A lazily reserved file's reservation steps from this size on are faulted in for writing
 * ahead of its writer (reserveThrough); smaller ones, a file's first few, cost a pool job
 * each for a handful of pages, more than the writer's own faults on them.
 */
const WRITE_PREFAULT_RESERVE_BYTES_MIN = 64 * 1024;
/**
 * How much of a fresh segment preheat faults in for reading: enough for the appender's first
 * write prefault windows, which keep the pages ahead of it ready from there on. Populating
 * all of a 1 GiB segment held it all resident for no measured gain (native-bench/README.md).
 */
export const PREHEAT_POPULATE_BYTES = 2 * WRITE_PREFAULT_WINDOW_BYTES;
/**
 * File systems that said they cannot populate for writing (EINVAL: Linux before 5.14). Kept
 * per file system, so a simulated disk in the same process as real-disk work behaves the same
 * whatever the kernel answered the real one.
 */
const writePrefaultUnsupported = new WeakSet<StorageFileSystem>();

/** Index into the preheat status array: 1 once blocks are reserved, -errno on failure. */
const STATUS_RESERVED = 0;
const STATUS_SLOTS = 2;

export class MappedFile {
  readonly buffer: Buffer;
  readonly view: DataView;
  wrotePosition = 0;
  flushedPosition = 0;
  private stateValue: MappedFileState;
  private holders = 0;
  private readonly pending = new Set<Promise<unknown>>();
  private releasing: Promise<void> | undefined;
  private preheatStatus: Int32Array | undefined;
  /** Pages below this position are faulted in for writing, or being so (see prefaultAhead). */
  private prefaultedTo = 0;
  private prefaulting = false;
  private prefaultFailed = false;
  /** The file's pages were dropped from the resident set once it was sealed and flushed. */
  private residentDropped = false;
  /** Preheat locked the file in memory: its pages stay resident by request. */
  private locked = false;
  /** For a lazily reserved file, bytes [0, reservedTo) have blocks; see reserveThrough. */
  private reservedTo: number;

  private constructor(
    private readonly fileSystem: StorageFileSystem,
    readonly path: string,
    readonly fromOffset: number,
    readonly size: number,
    private readonly file: StorageFile,
    private readonly mapping: StorageMapping,
    state: MappedFileState,
    /** Blocks are reserved by reserveThrough before each write, not all at creation. */
    readonly lazilyReserved = false,
  ) {
    this.buffer = Buffer.from(mapping.bytes);
    this.view = new DataView(mapping.bytes);
    this.stateValue = state;
    this.reservedTo = lazilyReserved ? 0 : size;
  }

  /** Creates (or re-creates) a file of `size` bytes, preallocated and mapped, synchronously. */
  static createSync(fileSystem: StorageFileSystem, path: string, fromOffset: number, size: number): MappedFile {
    const file = openFile(fileSystem, path, 'create');
    try {
      file.allocate(0, size);
      return new MappedFile(fileSystem, path, fromOffset, size, file, file.map(size), 'active');
    } catch (error) {
      discardCreated(fileSystem, file);
      throw StoreError.fromSystemError(error, `allocating ${path}`);
    }
  }

  /**
   * Creates a sparse file of `size` bytes and maps it, which costs well under a millisecond
   * even for 1 GiB; preheat() then reserves its blocks and faults it in on a pool thread. The
   * file must not be written before reserve() confirms its blocks.
   */
  static createSparse(fileSystem: StorageFileSystem, path: string, fromOffset: number, size: number): MappedFile {
    const file = openFile(fileSystem, path, 'create');
    try {
      file.truncate(size);
      return new MappedFile(fileSystem, path, fromOffset, size, file, file.map(size), 'allocated');
    } catch (error) {
      discardCreated(fileSystem, file);
      throw StoreError.fromSystemError(error, `creating ${path}`);
    }
  }

  /**
   * Creates a sparse file of `size` bytes for writers that call reserveThrough before each
   * write (consume queue and index files): it costs only the blocks it holds.
   */
  static createLazy(fileSystem: StorageFileSystem, path: string, fromOffset: number, size: number): MappedFile {
    const file = openFile(fileSystem, path, 'create');
    try {
      file.truncate(size);
      return new MappedFile(fileSystem, path, fromOffset, size, file, file.map(size), 'active', true);
    } catch (error) {
      discardCreated(fileSystem, file);
      throw StoreError.fromSystemError(error, `creating ${path}`);
    }
  }

  /**
   * Maps an existing file. Positions start at `size`; recovery moves them back. A lazily
   * reserved file re-reserves from its start as it is written (cheap where blocks exist).
   */
  static open(
    fileSystem: StorageFileSystem,
    path: string,
    fromOffset: number,
    size: number,
    lazilyReserved = false,
  ): MappedFile {
    const file = openFile(fileSystem, path, 'open');
    try {
      const actual = file.size();
      if (actual !== size) {
        throw new StoreError('CORRUPT_STORE', `${path} is ${actual} bytes, expected ${size}`);
      }
      const mapping = file.map(size);
      const mapped = new MappedFile(fileSystem, path, fromOffset, size, file, mapping, 'sealed', lazilyReserved);
      mapped.wrotePosition = size;
      mapped.flushedPosition = size;
      return mapped;
    } catch (error) {
      file.close();
      throw error instanceof StoreError ? error : StoreError.fromSystemError(error, `mapping ${path}`);
    }
  }

  get state(): MappedFileState {
    return this.stateValue;
  }

  transition(to: MappedFileState): void {
    assert.ok(TRANSITIONS[this.stateValue].includes(to), `mapped file ${this.stateValue} -> ${to}`);
    this.stateValue = to;
    if (to === 'active') this.residentDropped = false;
  }

  get isFull(): boolean {
    return this.wrotePosition === this.size;
  }

  get endOffset(): number {
    return this.fromOffset + this.size;
  }

  /** Takes a hold for a reader; false when the file is already being deleted. */
  hold(): boolean {
    if (this.stateValue === 'deleting' || this.stateValue === 'released') return false;
    this.holders++;
    return true;
  }

  release(): void {
    assert.ok(this.holders > 0, 'release without hold');
    this.holders--;
    if (this.holders === 0 && this.stateValue === 'deleting') void this.unmapAndClose();
  }

  get holderCount(): number {
    return this.holders;
  }

  /** Reserves the file's blocks and optionally faults it in, on a pool thread. */
  preheat(options: PreheatOptions): Promise<void> {
    const status = new Int32Array(STATUS_SLOTS);
    this.preheatStatus = status;
    const { lock, populate } = options;
    this.locked = lock;
    // Without write prefaulting (Linux before 5.14) preheat is all there is: populate it all.
    const populateBytes = this.writePrefaultSupported ? Math.min(this.size, PREHEAT_POPULATE_BYTES) : this.size;
    return this.track(this.mapping.preheat(status, lock, populate, populateBytes));
  }

  /**
   * Makes sure the file's blocks are reserved before the first write: done already when the
   * preheat thread got that far (read without waiting for its promise), else reserved here.
   * posix_fallocate is idempotent and serialized per file, so racing the thread is safe.
   */
  reserve(): void {
    const status = this.preheatStatus === undefined ? 0 : Atomics.load(this.preheatStatus, STATUS_RESERVED);
    if (status > 0) return;
    if (status < 0) {
      throw StoreError.fromSystemError({ code: errnoName(-status) }, `allocating ${this.path}`);
    }
    try {
      this.file.allocate(0, this.size);
    } catch (error) {
      throw StoreError.fromSystemError(error, `allocating ${this.path}`);
    }
  }

  /**
   * Reserves the blocks of a lazily reserved file through byte `end` before a write below it,
   * so a full disk throws here instead of killing the process with SIGBUS when the store
   * touches a hole of the mapping. Steps double up to LAZY_RESERVE_STEP_BYTES_MAX: one
   * fallocate per step, a comparison otherwise. With `prefaultFailed` (an appender's file:
   * consume queues), each step's pages (from WRITE_PREFAULT_RESERVE_BYTES_MIN on) are also
   * faulted in for writing on a pool thread, as prefaultAhead does for the commit log: without
   * it every 4 KiB of a queue's entries cost the appending thread a page fault (17,000 per 3 M
   * messages of 100 B, ~10 ns of system time a message; native-bench/README.md, "Native record
   * writer"). The pages held ahead are at most a step, whose blocks the file holds already. A
   * failure is reported to `prefaultFailed`; the writes then take their faults themselves.
   */
  reserveThrough(end: number, prefaultFailed?: (error: unknown) => void): void {
    if (end <= this.reservedTo) return;
    const from = this.reservedTo;
    const step = Math.min(LAZY_RESERVE_STEP_BYTES_MAX, Math.max(PAGE_BYTES, from));
    const to = Math.min(this.size, Math.max(Math.ceil(end / PAGE_BYTES) * PAGE_BYTES, from + step));
    try {
      this.file.allocate(from, to - from);
    } catch (error) {
      throw StoreError.fromSystemError(error, `allocating ${this.path}`);
    }
    this.reservedTo = to;
    const prefault = prefaultFailed !== undefined && to - from >= WRITE_PREFAULT_RESERVE_BYTES_MIN;
    if (prefault && this.writePrefaultSupported && this.releasing === undefined) {
      this.prefaultWrite(from, to, prefaultFailed);
    }
  }

  /** Pages holding unflushed bytes, the partially written last page included. */
  dirtyPages(): number {
    if (this.wrotePosition <= this.flushedPosition) return 0;
    return Math.ceil(this.wrotePosition / PAGE_BYTES) - Math.floor(this.flushedPosition / PAGE_BYTES);
  }

  /** msyncs [flushed, wrote) on the thread pool; resolves to the new flushed position. */
  async flush(): Promise<number> {
    const target = this.wrotePosition;
    const from = this.flushedPosition;
    if (target <= from) return from;
    await this.track(this.mapping.syncAsync(from, target - from)).catch(this.flushFailed);
    if (target > this.flushedPosition) this.flushedPosition = target;
    return this.flushedPosition;
  }

  /** msyncs the whole file, for files written at random positions (index slots). */
  flushWhole(): Promise<void> {
    return this.track(this.mapping.syncAsync(0, this.size)).catch(this.flushFailed);
  }

  flushSync(): void {
    const target = this.wrotePosition;
    if (target > this.flushedPosition) {
      try {
        this.mapping.sync(this.flushedPosition, target - this.flushedPosition);
      } catch (error) {
        this.flushFailed(error);
      }
      this.flushedPosition = target;
    }
  }

  /**
   * Once the file is sealed and all of it flushed, drops its pages from the process's resident
   * set (MADV_DONTNEED): they stay in the page cache, and a reader faults them back in. Without
   * it a broker's resident set grew by ~1.2 GiB per GiB of log, every written page staying
   * mapped (native-bench/README.md, "Resident memory as the log grows"). Once per sealing; a
   * cheap check otherwise. A failure leaves the data as it is and is returned as a typed error
   * for the caller to count. Files locked by preheat keep their pages, as locking asked.
   */
  dropResidentIfSealed(): StoreError | undefined {
    if (this.residentDropped || this.stateValue !== 'sealed' || this.flushedPosition < this.size) return undefined;
    return this.dropResident();
  }

  /**
   * Drops the file's pages from the resident set once (see dropResidentIfSealed), for a caller
   * that knows the file is no longer written and is flushed: a full index file.
   */
  dropResident(): StoreError | undefined {
    if (this.residentDropped) return undefined;
    this.residentDropped = true;
    if (this.locked || this.releasing !== undefined) return undefined;
    try {
      this.mapping.dropResident(0, this.size);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return new StoreError('IO_ERROR', `madvise(MADV_DONTNEED) of ${this.path} (${String(code)})`, { cause: error });
    }
    return undefined;
  }

  /**
   * Keeps the pages just ahead of the write position faulted in for writing, on a pool thread;
   * costs a comparison when the window is far enough ahead. A failure only means appends take
   * their page faults themselves again: it is reported to `failed` (which the store counts in
   * its stats) and this file stops prefaulting.
   */
  prefaultAhead(failed: (error: unknown) => void): void {
    if (this.wrotePosition + WRITE_PREFAULT_REFILL_BYTES <= this.prefaultedTo) return;
    if (this.prefaulting || this.prefaultFailed || !this.writePrefaultSupported) return;
    if (this.prefaultedTo >= this.size || this.stateValue !== 'active' || this.releasing !== undefined) return;
    const from = Math.max(this.prefaultedTo, this.wrotePosition - (this.wrotePosition % PAGE_BYTES));
    const to = Math.min(this.size, from + WRITE_PREFAULT_WINDOW_BYTES);
    this.prefaulting = true;
    this.prefaultedTo = to;
    this.prefaultWrite(from, to, (error) => {
      this.prefaultFailed = true;
      failed(error);
    }).finally(() => {
      this.prefaulting = false;
    });
  }

  private get writePrefaultSupported(): boolean {
    return !writePrefaultUnsupported.has(this.fileSystem);
  }

  /** Faults [from, to) in for writing on a pool thread; EINVAL turns it off for the file system. */
  private prefaultWrite(from: number, to: number, failed: (error: unknown) => void): Promise<void> {
    return this.track(this.mapping.prefaultWrite(from, to - from)).catch((error: unknown) => {
      if ((error as { code?: unknown }).code === 'EINVAL') writePrefaultUnsupported.add(this.fileSystem);
      else failed(error);
    });
  }

  private readonly flushFailed = (error: unknown): never => {
    const code = (error as { code?: unknown }).code;
    throw new StoreError('FLUSH_FAILED', `msync of ${this.path} (${String(code)})`, { cause: error });
  };

  /**
   * Discards everything from `position` on: the bytes read as zeros afterwards, so a later scan
   * can never mistake stale records for live ones. Whole pages are dropped by shrinking and
   * re-extending the file (cheap even for a 1 GiB segment); the partial page is zeroed.
   * Only for recovery, while no async work runs on the file.
   */
  truncateFrom(position: number): void {
    assert.ok(position >= 0 && position <= this.size);
    assert.equal(this.pending.size, 0, 'no async work during truncation');
    const pageEnd = Math.min(this.size, Math.ceil(position / PAGE_BYTES) * PAGE_BYTES);
    this.buffer.fill(0, position, pageEnd);
    if (pageEnd < this.size) {
      this.file.truncate(pageEnd);
      this.file.truncate(this.size);
      if (this.lazilyReserved) this.reservedTo = Math.min(this.reservedTo, pageEnd);
      else this.file.allocate(pageEnd, this.size - pageEnd);
    }
    this.mapping.sync(0, this.size);
    this.wrotePosition = position;
    this.flushedPosition = position;
  }

  /**
   * Recovery: the bytes from `position` to the write position are not known to be durable (a
   * crash, or an msync that failed before it). Each of their pages is rewritten in place so it
   * is dirty again, since a kernel may have dropped the dirty bit of a failed writeback, and
   * the next flush msyncs them.
   */
  markUnflushedFrom(position: number): void {
    for (let page = position - (position % PAGE_BYTES); page < this.wrotePosition; page += PAGE_BYTES) {
      this.buffer[page] = this.buffer[page]!;
    }
    this.flushedPosition = Math.min(this.flushedPosition, position);
  }

  /** Unlinks the file now; unmaps once no reader holds it. */
  markDeleted(): void {
    if (this.stateValue === 'deleting' || this.stateValue === 'released') return;
    this.transition('deleting');
    this.fileSystem.remove(this.path);
    if (this.holders === 0) void this.unmapAndClose();
  }

  /** Timeout path: unmaps even if a reader still holds it (its views then read as empty). */
  forceRelease(): Promise<void> {
    this.holders = 0;
    return this.unmapAndClose();
  }

  /** Unmaps and closes, waiting for async work on the mapping first. Idempotent. */
  close(): Promise<void> {
    return this.unmapAndClose();
  }

  private unmapAndClose(): Promise<void> {
    this.releasing ??= (async () => {
      while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
      this.stateValue = 'released';
      this.mapping.unmap();
      this.file.close();
    })();
    return this.releasing;
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    const untrack = (): void => {
      this.pending.delete(work);
    };
    work.then(untrack, untrack);
    return work;
  }
}

/** The errno name for a number, for errors reported through the preheat status array. */
function errnoName(errno: number): string {
  for (const [name, value] of Object.entries(os.constants.errno)) if (value === errno) return name;
  return `E${errno}`;
}

/** Closes and removes a file whose creation failed part way, so no stub of it is left behind. */
function discardCreated(fileSystem: StorageFileSystem, file: StorageFile): void {
  file.close();
  fileSystem.remove(file.path);
}

function openFile(fileSystem: StorageFileSystem, path: string, mode: 'create' | 'open'): StorageFile {
  try {
    return fileSystem.open(path, mode);
  } catch (error) {
    throw StoreError.fromSystemError(error, `opening ${path}`);
  }
}
