// One memory-mapped file of fixed size: a commit log segment, a consume queue file or an
// index file. Appenders write through `buffer`/`view`; msync moves `flushedPosition` up to
// `wrotePosition`. Readers that keep views past a synchronous call hold() the file, and a
// deleted file is unmapped only once the last holder releases it (or a timeout forces it).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';

import { nativeBinding } from './native-binding.js';
import { PAGE_BYTES } from './storage-constants.js';
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

  private constructor(
    private pathValue: string,
    readonly fromOffset: number,
    readonly size: number,
    private readonly fd: number,
    private readonly mapping: ArrayBuffer,
    state: MappedFileState,
  ) {
    this.buffer = Buffer.from(mapping);
    this.view = new DataView(mapping);
    this.stateValue = state;
  }

  /** Creates (or re-creates) a file of `size` bytes, preallocated and mapped, synchronously. */
  static createSync(path: string, fromOffset: number, size: number): MappedFile {
    const fd = openFile(path, 'w+');
    try {
      nativeBinding.fallocate(fd, 0, size);
      return new MappedFile(path, fromOffset, size, fd, nativeBinding.map(fd, 0, size), 'active');
    } catch (error) {
      fs.closeSync(fd);
      throw StoreError.fromSystemError(error, `allocating ${path}`);
    }
  }

  /**
   * Creates a sparse file of `size` bytes and maps it, which costs well under a millisecond
   * even for 1 GiB; preheat() then reserves its blocks and faults it in on a pool thread. The
   * file must not be written before reserve() confirms its blocks.
   */
  static createSparse(path: string, fromOffset: number, size: number): MappedFile {
    const fd = openFile(path, 'w+');
    try {
      fs.ftruncateSync(fd, size);
      return new MappedFile(path, fromOffset, size, fd, nativeBinding.map(fd, 0, size), 'allocated');
    } catch (error) {
      fs.closeSync(fd);
      throw StoreError.fromSystemError(error, `creating ${path}`);
    }
  }

  /** Maps an existing file. Positions start at `size`; recovery moves them back. */
  static open(path: string, fromOffset: number, size: number): MappedFile {
    const fd = openFile(path, 'r+');
    try {
      const actual = fs.fstatSync(fd).size;
      if (actual !== size) {
        throw new StoreError('CORRUPT_STORE', `${path} is ${actual} bytes, expected ${size}`);
      }
      const file = new MappedFile(path, fromOffset, size, fd, nativeBinding.map(fd, 0, size), 'sealed');
      file.wrotePosition = size;
      file.flushedPosition = size;
      return file;
    } catch (error) {
      fs.closeSync(fd);
      throw error instanceof StoreError ? error : StoreError.fromSystemError(error, `mapping ${path}`);
    }
  }

  get path(): string {
    return this.pathValue;
  }

  /** Records a rename done by the owner (a preallocated file moved into place). */
  renamedTo(newPath: string): void {
    this.pathValue = newPath;
  }

  get state(): MappedFileState {
    return this.stateValue;
  }

  transition(to: MappedFileState): void {
    assert.ok(TRANSITIONS[this.stateValue].includes(to), `mapped file ${this.stateValue} -> ${to}`);
    this.stateValue = to;
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
    return this.track(nativeBinding.preheat(this.mapping, this.fd, status, lock, populate));
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
      nativeBinding.fallocate(this.fd, 0, this.size);
    } catch (error) {
      throw StoreError.fromSystemError(error, `allocating ${this.path}`);
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
    await this.track(nativeBinding.msyncAsync(this.mapping, from, target - from));
    if (target > this.flushedPosition) this.flushedPosition = target;
    return this.flushedPosition;
  }

  /** msyncs the whole file, for files written at random positions (index slots). */
  flushWhole(): Promise<void> {
    return this.track(nativeBinding.msyncAsync(this.mapping, 0, this.size));
  }

  flushSync(): void {
    const target = this.wrotePosition;
    if (target > this.flushedPosition) {
      nativeBinding.msync(this.mapping, this.flushedPosition, target - this.flushedPosition);
      this.flushedPosition = target;
    }
  }

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
      fs.ftruncateSync(this.fd, pageEnd);
      fs.ftruncateSync(this.fd, this.size);
      nativeBinding.fallocate(this.fd, pageEnd, this.size - pageEnd);
    }
    nativeBinding.msync(this.mapping, 0, this.size);
    this.wrotePosition = position;
    this.flushedPosition = position;
  }

  /** Unlinks the file now; unmaps once no reader holds it. */
  markDeleted(): void {
    if (this.stateValue === 'deleting' || this.stateValue === 'released') return;
    this.transition('deleting');
    fs.rmSync(this.path, { force: true });
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
      nativeBinding.unmap(this.mapping);
      fs.closeSync(this.fd);
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

function openFile(path: string, flags: string): number {
  try {
    return fs.openSync(path, flags);
  } catch (error) {
    throw StoreError.fromSystemError(error, `opening ${path}`);
  }
}
