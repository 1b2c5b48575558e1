// An in-memory file system for crash and fault simulation (TigerBeetle's testing storage, NATS'
// memstore). Files keep two states: what the process sees (the page cache) and what is durable
// (the disk). Syncs copy pages from the first to the second; a simulated crash throws the page
// cache away, except for dirty pages the "kernel" happened to write back (some torn at a random
// byte), and forgets files whose directory entry was never synced; the crashed instance goes
// dead (every call fails with EIO) and a fresh one holds what survived. Syncs and preallocation can
// fail with EIO or ENOSPC, and crashes can flip bits on disk, all decided by a seeded random
// source so a failing schedule replays exactly.
import path from 'node:path';

import type { StorageFile, StorageFileSystem, StorageMapping, SystemErrorLike } from './storage-file-system.js';

const PAGE_BYTES = 4096;
const ENOSPC = 28;
/**
 * The pid the store writes into its lock file on the simulated machine. The real one would
 * make a schedule depend on the process running it: the lock file's length decides where a
 * bit flip lands in it, and whether two flips cancel, so how many random draws a crash takes.
 */
const SIMULATED_PROCESS_ID = 4242;

/**
 * The odds of each fault a SimulatedFileSystem injects; each defaults to 0 (never), the disk size
 * to unlimited.
 */
export interface SimulatedFaults {
  /** Chance that a sync (msync, fdatasync) fails with EIO after writing some of its pages. */
  readonly syncFailure?: number;
  /** Chance that a write or append through a file handle fails with ENOSPC, writing nothing. */
  readonly writeFailure?: number;
  /** Chance that preallocation fails with ENOSPC. */
  readonly allocateFailure?: number;
  /** Chance that dropping a mapping's resident pages (madvise) fails with EINVAL. */
  readonly adviseFailure?: number;
  /** At a crash, chance that each dirty page was written back by the kernel anyway. */
  readonly writeback?: number;
  /** At a crash, chance that a written-back dirty page is torn at a random byte. */
  readonly tear?: number;
  /** At a crash, number of random bits flipped in durable file data (bit rot). */
  readonly bitFlips?: number;
  /**
   * Disk size in bytes (default unlimited). Preallocation and writes that would take more
   * blocks than are free fail with ENOSPC; sparse growth (truncate) takes none.
   */
  readonly capacityBytes?: number;
}

interface SimulatedFileState {
  /** Bytes with blocks behind them: preallocated or written through the handle. */
  allocated: number;
  current: Uint8Array;
  durable: Uint8Array;
  mapping: SimulatedMapping | undefined;
  lockedBy: SimulatedFile | undefined;
}

function systemError(code: string, message: string): SystemErrorLike {
  return Object.assign(new Error(`${message} (${code})`), { code });
}

/**
 * An in-memory disk for testing the store (and programs using it) against faults and power cuts:
 * pass it as `fileSystem` to MessageStore.open. Randomness comes from `random`, so a seeded
 * generator replays a run; crash() returns the disk as a power cut leaves it.
 */
export class SimulatedFileSystem implements StorageFileSystem {
  private files = new Map<string, SimulatedFileState>();
  private durableFiles = new Map<string, SimulatedFileState>();
  private directories = new Set<string>();
  /** Set by crash(): this machine is gone, and its handles and mappings with it. */
  private dead = false;
  /** The simulated process's pid: fixed, so a seeded run replays in any process. */
  readonly processId = SIMULATED_PROCESS_ID;

  constructor(
    private readonly random: () => number,
    public faults: SimulatedFaults = {},
  ) {}

  /** Fails with EIO once the simulated machine has crashed. */
  checkAlive(): void {
    if (this.dead) throw systemError('EIO', 'the simulated machine crashed');
  }

  makeDirectory(directory: string): void {
    this.checkAlive();
    for (let at = path.resolve(directory); !this.directories.has(at); at = path.dirname(at)) {
      this.directories.add(at);
      if (at === path.dirname(at)) break;
    }
  }

  list(directory: string): string[] {
    this.checkAlive();
    const resolved = path.resolve(directory);
    const names = new Set<string>();
    for (const entry of [...this.files.keys(), ...this.directories]) {
      if (path.dirname(entry) === resolved) names.add(path.basename(entry));
    }
    return [...names];
  }

  /** True when a file or directory exists at `target`. */
  exists(target: string): boolean {
    this.checkAlive();
    const resolved = path.resolve(target);
    return this.files.has(resolved) || this.directories.has(resolved);
  }

  /** True when `target` is a directory. */
  isDirectory(target: string): boolean {
    this.checkAlive();
    return this.directories.has(path.resolve(target));
  }

  size(target: string): number {
    this.checkAlive();
    return this.state(target).current.length;
  }

  remove(target: string): void {
    this.checkAlive();
    const resolved = path.resolve(target);
    for (const name of [...this.files.keys()]) {
      if (name === resolved || name.startsWith(resolved + path.sep)) this.files.delete(name);
    }
    for (const name of [...this.directories]) {
      if (name === resolved || name.startsWith(resolved + path.sep)) this.directories.delete(name);
    }
  }

  truncate(target: string, size: number): void {
    this.checkAlive();
    const state = this.state(target);
    state.current = resized(state.current, size);
    state.allocated = Math.min(state.allocated, size);
  }

  usage(_directory: string): { usedBytes: number; availableBytes: number } {
    this.checkAlive();
    const total = this.faults.capacityBytes ?? Number.MAX_SAFE_INTEGER;
    let used = 0;
    for (const state of this.files.values()) used += state.allocated;
    return { usedBytes: used, availableBytes: Math.max(0, total - used) };
  }

  /** Gives `state` blocks up to `end` bytes, or fails with ENOSPC when the disk lacks them. */
  reserve(state: SimulatedFileState, end: number): void {
    const growth = end - state.allocated;
    if (growth <= 0) return;
    if (growth > this.usage('/').availableBytes) throw systemError('ENOSPC', 'no space left on the simulated disk');
    state.allocated = end;
  }

  syncDirectory(directory: string): void {
    this.checkAlive();
    const resolved = path.resolve(directory);
    for (const name of [...this.durableFiles.keys()]) {
      if (path.dirname(name) === resolved && !this.files.has(name)) this.durableFiles.delete(name);
    }
    for (const [name, state] of this.files) if (path.dirname(name) === resolved) this.durableFiles.set(name, state);
  }

  /** syncDirectory, as a promise. */
  syncDirectoryAsync(directory: string): Promise<void> {
    return later(() => this.syncDirectory(directory));
  }

  open(target: string, mode: 'create' | 'open' | 'openOrCreate' | 'append'): StorageFile {
    this.checkAlive();
    const resolved = path.resolve(target);
    if (!this.directories.has(path.dirname(resolved))) throw systemError('ENOENT', `no directory for ${resolved}`);
    let state = this.files.get(resolved);
    if (state === undefined) {
      if (mode === 'open') throw systemError('ENOENT', `no file ${resolved}`);
      state = {
        allocated: 0,
        current: new Uint8Array(0),
        durable: new Uint8Array(0),
        mapping: undefined,
        lockedBy: undefined,
      };
      this.files.set(resolved, state);
    } else if (mode === 'create') {
      state.current = new Uint8Array(0);
      state.allocated = 0;
    }
    return new SimulatedFile(this, resolved, state, mode === 'append');
  }

  /**
   * Simulates a power cut: the page cache is lost except for written-back (maybe torn) dirty
   * pages and unsynced directory entries vanish. This instance, its handles and mappings go
   * dead; the returned one is the machine after reboot.
   */
  crash(): SimulatedFileSystem {
    this.checkAlive();
    this.dead = true;
    const rebooted = new SimulatedFileSystem(this.random, this.faults);
    for (const [name, state] of this.durableFiles) {
      const seen = state.mapping?.bytesView() ?? state.current;
      const disk = writeBack(state.durable, seen, this.random, this.faults);
      const survivor = { allocated: state.allocated, current: disk.slice(), durable: disk };
      rebooted.files.set(name, { ...survivor, mapping: undefined, lockedBy: undefined });
    }
    rebooted.durableFiles = new Map(rebooted.files);
    rebooted.directories = new Set(this.directories);
    rebooted.flipBits(this.faults.bitFlips ?? 0);
    return rebooted;
  }

  /** Names of files whose entries are durable, for tests that damage the disk directly. */
  durableNames(): string[] {
    return [...this.durableFiles.keys()];
  }

  /** A uniform draw in [0, 1) from the schedule's seeded source. */
  draw(): number {
    return this.random();
  }

  /** Whether a random draw says a fault of probability `chance` happens now. */
  fault(chance: number | undefined): boolean {
    return chance !== undefined && chance > 0 && this.random() < chance;
  }

  private flipBits(count: number): void {
    const candidates = [...this.files.values()].filter((state) => state.durable.length > 0);
    for (let i = 0; i < count && candidates.length > 0; i++) {
      const state = candidates[Math.floor(this.random() * candidates.length)]!;
      const at = Math.floor(this.random() * state.durable.length);
      state.durable[at]! ^= 1 << Math.floor(this.random() * 8);
      state.current[at] = state.durable[at]!;
    }
  }

  private state(target: string): SimulatedFileState {
    const state = this.files.get(path.resolve(target));
    if (state === undefined) throw systemError('ENOENT', `no file ${target}`);
    return state;
  }
}

/** Disk contents after a crash: durable pages, plus dirty pages the kernel wrote back. */
function writeBack(durable: Uint8Array, seen: Uint8Array, random: () => number, faults: SimulatedFaults): Uint8Array {
  const disk = resized(durable, seen.length);
  for (let page = 0; page < seen.length; page += PAGE_BYTES) {
    const end = Math.min(seen.length, page + PAGE_BYTES);
    if (equalRange(disk, seen, page, end) || !(random() < (faults.writeback ?? 0))) continue;
    const torn = random() < (faults.tear ?? 0) ? page + Math.floor(random() * (end - page)) : end;
    disk.set(seen.subarray(page, torn), page);
  }
  return disk;
}

function equalRange(a: Uint8Array, b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (a[i] !== b[i]) return false;
  return true;
}

function resized(bytes: Uint8Array, size: number): Uint8Array {
  if (bytes.length === size) return bytes;
  const next = new Uint8Array(size);
  next.set(bytes.subarray(0, Math.min(size, bytes.length)));
  return next;
}

function later<T>(work: () => T): Promise<T> {
  return new Promise((resolve, reject) =>
    setImmediate(() => {
      try {
        resolve(work());
      } catch (error) {
        reject(error);
      }
    }),
  );
}

class SimulatedMapping implements StorageMapping {
  private buffer: ArrayBuffer;
  private pending = 0;

  constructor(
    private readonly file: SimulatedFile,
    private readonly state: SimulatedFileState,
    length: number,
  ) {
    this.buffer = new ArrayBuffer(length);
    new Uint8Array(this.buffer).set(state.current.subarray(0, length));
  }

  get bytes(): ArrayBuffer {
    return this.buffer;
  }

  bytesView(): Uint8Array {
    return new Uint8Array(this.buffer);
  }

  sync(offset: number, length: number): void {
    this.file.checkAlive();
    const from = offset - (offset % PAGE_BYTES);
    const to = Math.min(this.buffer.byteLength, offset + length);
    this.file.syncRange(new Uint8Array(this.buffer), from, to);
  }

  syncAsync(offset: number, length: number): Promise<void> {
    this.pending++;
    return later(() => this.sync(offset, length)).finally(() => this.pending--);
  }

  preheat(status: Int32Array, _lock: boolean, populate: boolean, populateBytes: number): Promise<void> {
    this.pending++;
    return later(() => {
      this.file.checkAlive();
      try {
        if (this.file.fileSystem.fault(this.file.fileSystem.faults.allocateFailure)) {
          throw systemError('ENOSPC', 'no space left to preallocate');
        }
        this.file.fileSystem.reserve(this.state, this.buffer.byteLength);
      } catch (error) {
        status[0] = -ENOSPC;
        throw error;
      }
      status[0] = 1;
      if (populate) status[1] = Math.ceil(Math.min(populateBytes, this.buffer.byteLength) / PAGE_BYTES);
    }).finally(() => this.pending--);
  }

  /**
   * The simulated mapping is the page cache itself, so there is no separate resident set to
   * drop: the bytes stay as they are, which is what a read after MADV_DONTNEED sees.
   */
  dropResident(): void {
    this.file.checkAlive();
    if (this.file.fileSystem.fault(this.file.fileSystem.faults.adviseFailure)) {
      throw systemError('EINVAL', 'madvise failed');
    }
  }

  /** Page faults are not simulated: nothing to take ahead of time. */
  prefaultWrite(): Promise<void> {
    this.pending++;
    return later(() => this.file.checkAlive()).finally(() => this.pending--);
  }

  unmap(): void {
    if (this.pending > 0) throw systemError('EBUSY', 'async work pending on the mapping');
    if (this.state.mapping === this) {
      this.state.current = new Uint8Array(this.buffer.slice(0));
      this.state.mapping = undefined;
    }
    // Transferring detaches the buffer, so stale views throw as they do after a real munmap.
    structuredClone(this.buffer, { transfer: [this.buffer] });
  }
}

class SimulatedFile implements StorageFile {
  private closed = false;

  constructor(
    readonly fileSystem: SimulatedFileSystem,
    readonly path: string,
    private readonly state: SimulatedFileState,
    private readonly appending: boolean,
  ) {}

  checkAlive(): void {
    if (this.closed) throw systemError('EBADF', `${this.path} is closed`);
    this.fileSystem.checkAlive();
  }

  /** Bytes as the process sees them: the mapping's while one exists. */
  private view(): Uint8Array {
    return this.state.mapping?.bytesView() ?? this.state.current;
  }

  size(): number {
    this.checkAlive();
    return this.state.mapping?.bytes.byteLength ?? this.state.current.length;
  }

  truncate(size: number): void {
    this.checkAlive();
    const mapping = this.state.mapping;
    this.state.allocated = Math.min(this.state.allocated, size);
    if (mapping !== undefined) {
      mapping.bytesView().fill(0, Math.min(size, mapping.bytes.byteLength));
      return;
    }
    this.state.current = resized(this.state.current, size);
  }

  allocate(offset: number, length: number): void {
    this.checkAlive();
    if (this.fileSystem.fault(this.fileSystem.faults.allocateFailure)) throw systemError('ENOSPC', 'no space left');
    this.fileSystem.reserve(this.state, offset + length);
    if (this.state.mapping === undefined && offset + length > this.state.current.length) {
      this.state.current = resized(this.state.current, offset + length);
    }
  }

  read(target: Buffer, position: number): number {
    this.checkAlive();
    const source = this.view();
    const count = Math.max(0, Math.min(target.length, source.length - position));
    target.set(source.subarray(position, position + count));
    return count;
  }

  write(source: Buffer, position: number): void {
    this.checkAlive();
    if (this.fileSystem.fault(this.fileSystem.faults.writeFailure)) throw systemError('ENOSPC', 'no space left');
    this.fileSystem.reserve(this.state, position + source.length);
    if (this.state.mapping === undefined && position + source.length > this.state.current.length) {
      this.state.current = resized(this.state.current, position + source.length);
    }
    this.view().set(source, position);
  }

  writeAsync(source: Buffer, position: number): Promise<void> {
    const copy = Buffer.from(source);
    return later(() => this.write(copy, position));
  }

  append(source: Buffer): void {
    this.write(source, this.appending ? this.size() : 0);
  }

  datasync(): void {
    this.checkAlive();
    const seen = this.view();
    this.syncRange(seen, 0, seen.length);
  }

  datasyncAsync(): Promise<void> {
    return later(() => this.datasync());
  }

  /** Copies [from, to) to disk page by page; an injected EIO stops part way. */
  syncRange(seen: Uint8Array, from: number, to: number): void {
    if (this.state.durable.length < seen.length) this.state.durable = resized(this.state.durable, seen.length);
    const failAt = this.fileSystem.fault(this.fileSystem.faults.syncFailure)
      ? from + Math.floor(this.fileSystem.draw() * (to - from))
      : Number.POSITIVE_INFINITY;
    for (let page = from; page < to; page += PAGE_BYTES) {
      if (page >= failAt) throw systemError('EIO', `sync of ${this.path} failed`);
      const end = Math.min(to, page + PAGE_BYTES);
      this.state.durable.set(seen.subarray(page, end), page);
    }
  }

  lock(): void {
    this.checkAlive();
    if (this.state.lockedBy !== undefined && this.state.lockedBy !== this && !this.state.lockedBy.closed) {
      throw systemError('EWOULDBLOCK', `${this.path} is locked`);
    }
    this.state.lockedBy = this;
  }

  map(length: number): StorageMapping {
    this.checkAlive();
    if (this.state.mapping !== undefined) throw systemError('EBUSY', `${this.path} is mapped already`);
    if (this.state.current.length < length) this.state.current = resized(this.state.current, length);
    const mapping = new SimulatedMapping(this, this.state, length);
    this.state.mapping = mapping;
    return mapping;
  }

  close(): void {
    this.closed = true;
    if (this.state.lockedBy === this) this.state.lockedBy = undefined;
  }
}
