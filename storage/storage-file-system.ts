// Every file operation the storage engine makes goes through this interface, so the same engine
// code runs on the real file system (NodeFileSystem) and on an in-memory one that injects
// faults and simulates crashes (SimulatedFileSystem). Hot paths are untouched: appends write
// into a mapping's bytes directly; only opening, syncing and housekeeping go through here.

/** A failure carrying an errno name as `code`, as Node's fs and the native addon report them. */
export interface SystemErrorLike extends Error {
  readonly code: string;
}

export interface StorageFileSystem {
  /** Creates `directory` and its parents as needed, durably (their entries are synced). */
  makeDirectory(directory: string): void;
  /** Names in `directory` (not sorted); empty when it does not exist. */
  list(directory: string): string[];
  exists(path: string): boolean;
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
  syncDirectoryAsync(directory: string): Promise<void>;
  /**
   * Opens a file: 'create' creates or truncates to empty, 'open' requires it to exist,
   * 'openOrCreate' keeps its contents, 'append' keeps them and writes at the end.
   */
  open(path: string, mode: 'create' | 'open' | 'openOrCreate' | 'append'): StorageFile;
}

export interface StorageFile {
  readonly path: string;
  size(): number;
  /** Sets the size; bytes past the old end read as zeros. */
  truncate(size: number): void;
  /** Reserves blocks for [offset, offset+length) so writes there cannot hit a full disk. */
  allocate(offset: number, length: number): void;
  read(target: Buffer, position: number): number;
  write(source: Buffer, position: number): void;
  writeAsync(source: Buffer, position: number): Promise<void>;
  append(source: Buffer): void;
  datasync(): void;
  datasyncAsync(): Promise<void>;
  /** An exclusive lock held until close; throws EWOULDBLOCK/EAGAIN when held elsewhere. */
  lock(): void;
  /** Maps [0, length) shared and writable. */
  map(length: number): StorageMapping;
  close(): void;
}

export interface StorageMapping {
  /** The mapped bytes; Buffers and DataViews over it see and change the file. */
  readonly bytes: ArrayBuffer;
  sync(offset: number, length: number): void;
  syncAsync(offset: number, length: number): Promise<void>;
  /**
   * Reserves the file's blocks (status[0] becomes 1, or -errno) and with `populate` faults the
   * pages in (status[1] counts them), then locks them when asked; see the native preheat.
   */
  preheat(status: Int32Array, lock: boolean, populate: boolean): Promise<void>;
  /**
   * Takes the first-write page faults of [offset, offset+length) off the caller's thread,
   * leaving the bytes as they are; rejects with EINVAL where the system cannot.
   */
  prefaultWrite(offset: number, length: number): Promise<void>;
  /** Releases the mapping; `bytes` is detached afterwards. Throws EBUSY while async work runs. */
  unmap(): void;
}
