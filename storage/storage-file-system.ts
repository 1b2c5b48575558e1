// Every file operation the storage engine makes goes through this interface, so the same engine
// code runs on the real file system (NodeFileSystem) and on an in-memory one that injects
// faults and simulates crashes (SimulatedFileSystem). Hot paths are untouched: appends write
// into a mapping's bytes directly; only opening, syncing and housekeeping go through here.

/** A failure carrying an errno name as `code`, as Node's fs and the native addon report them. */
export interface SystemErrorLike extends Error {
  readonly code: string;
}

/**
 * Every file operation the store makes, so it runs on the real file system (NodeFileSystem) or a
 * simulated one (SimulatedFileSystem). Failures throw errors carrying an errno name as `code`.
 */
export interface StorageFileSystem {
  /** Creates `directory` and its parents as needed, durably (their entries are synced). */
  makeDirectory(directory: string): void;
  /** Names in `directory` (not sorted); empty when it does not exist. */
  list(directory: string): string[];
  /** True when a file or directory exists at `path`. */
  exists(path: string): boolean;
  /** True when `path` is a directory. */
  isDirectory(path: string): boolean;
  /** File size in bytes; throws ENOENT when missing. */
  size(path: string): number;
  /** Removes a file or directory tree; no error when missing. */
  remove(path: string): void;
  /** Sets a file's size by path (zero-extending or cutting). */
  truncate(path: string, size: number): void;
  /**
   * Space of the file system holding `directory`, in bytes: used, and still available to
   * this process (blocks reserved for root excluded, as df counts them).
   */
  usage(directory: string): { usedBytes: number; availableBytes: number };
  /** Makes the creation, removal and renaming of entries in `directory` durable. */
  syncDirectory(directory: string): void;
  /** syncDirectory, as a promise. */
  syncDirectoryAsync(directory: string): Promise<void>;
  /**
   * Opens a file: 'create' creates or truncates to empty, 'open' requires it to exist,
   * 'openOrCreate' keeps its contents, 'append' keeps them and writes at the end.
   */
  open(path: string, mode: 'create' | 'open' | 'openOrCreate' | 'append'): StorageFile;
  /**
   * The id written into the store's lock file for diagnostics; process.pid when absent. A
   * simulated machine names a fixed one, so its disk's contents never depend on the real pid.
   */
  readonly processId?: number;
}

/** An open file of a StorageFileSystem. */
export interface StorageFile {
  readonly path: string;
  /** The file's size in bytes. */
  size(): number;
  /** Sets the size; bytes past the old end read as zeros. */
  truncate(size: number): void;
  /** Reserves blocks for [offset, offset+length) so writes there cannot hit a full disk. */
  allocate(offset: number, length: number): void;
  /** Reads into `target` from `position`; returns the bytes read (fewer at the end of the file). */
  read(target: Buffer, position: number): number;
  /** Writes all of `source` at `position`. */
  write(source: Buffer, position: number): void;
  /** write, as a promise. */
  writeAsync(source: Buffer, position: number): Promise<void>;
  /** Writes all of `source` at the end of the file. */
  append(source: Buffer): void;
  /** Makes the file's data durable (fdatasync). */
  datasync(): void;
  /** datasync, as a promise. */
  datasyncAsync(): Promise<void>;
  /** An exclusive lock held until close; throws EWOULDBLOCK/EAGAIN when held elsewhere. */
  lock(): void;
  /** Maps [0, length) shared and writable. */
  map(length: number): StorageMapping;
  /** Closes the file (and releases its lock). */
  close(): void;
}

/** A file mapped into memory, shared and writable. */
export interface StorageMapping {
  /** The mapped bytes; Buffers and DataViews over it see and change the file. */
  readonly bytes: ArrayBuffer;
  /** Makes [offset, offset+length) of the mapping durable (msync). */
  sync(offset: number, length: number): void;
  /** sync, as a promise (on a pool thread). */
  syncAsync(offset: number, length: number): Promise<void>;
  /**
   * Reserves the file's blocks (status[0] becomes 1, or -errno) and with `populate` faults the
   * first `populateBytes` in (status[1] counts the pages), then locks the file when asked; see
   * the native preheat.
   */
  preheat(status: Int32Array, lock: boolean, populate: boolean, populateBytes: number): Promise<void>;
  /**
   * Takes the first-write page faults of [offset, offset+length) off the caller's thread,
   * leaving the bytes as they are; rejects with EINVAL where the system cannot.
   */
  prefaultWrite(offset: number, length: number): Promise<void>;
  /**
   * Tells the system the process no longer needs [offset, offset+length) resident
   * (MADV_DONTNEED): the pages leave the process's resident set, the file's cached pages stay,
   * and a later read faults them back in. Only for flushed bytes. Throws with the errno as code.
   */
  dropResident(offset: number, length: number): void;
  /** Releases the mapping; `bytes` is detached afterwards. Throws EBUSY while async work runs. */
  unmap(): void;
}
