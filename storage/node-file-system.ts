// The real file system: Node's fs for files and directories, the native addon for mappings,
// preallocation and locks.
import fs from 'node:fs';
import nodePath from 'node:path';

import { nativeBinding } from './native-binding.js';
import type { StorageFile, StorageFileSystem, StorageMapping } from './storage-file-system.js';
import { syncDirectory, syncDirectoryAsync } from './sync-directory.js';

const OPEN_FLAGS = {
  create: 'w+',
  open: 'r+',
  openOrCreate: fs.constants.O_RDWR | fs.constants.O_CREAT,
  append: fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_APPEND,
} as const;

class NodeMapping implements StorageMapping {
  constructor(
    readonly bytes: ArrayBuffer,
    private readonly fd: number,
  ) {}

  sync(offset: number, length: number): void {
    nativeBinding.msync(this.bytes, offset, length);
  }

  syncAsync(offset: number, length: number): Promise<void> {
    return nativeBinding.msyncAsync(this.bytes, offset, length);
  }

  preheat(status: Int32Array, lock: boolean, populate: boolean, populateBytes: number): Promise<void> {
    return nativeBinding.preheat(this.bytes, this.fd, status, lock, populate, populateBytes);
  }

  prefaultWrite(offset: number, length: number): Promise<void> {
    return nativeBinding.prefaultWrite(this.bytes, offset, length);
  }

  dropResident(offset: number, length: number): void {
    nativeBinding.madvise(this.bytes, offset, length, nativeBinding.advice.dontNeed);
  }

  unmap(): void {
    nativeBinding.unmap(this.bytes);
  }
}

class NodeFile implements StorageFile {
  constructor(
    readonly path: string,
    private readonly fd: number,
  ) {}

  size(): number {
    return fs.fstatSync(this.fd).size;
  }

  truncate(size: number): void {
    fs.ftruncateSync(this.fd, size);
  }

  allocate(offset: number, length: number): void {
    nativeBinding.fallocate(this.fd, offset, length);
  }

  read(target: Buffer, position: number): number {
    return fs.readSync(this.fd, target, 0, target.length, position);
  }

  write(source: Buffer, position: number): void {
    fs.writeSync(this.fd, source, 0, source.length, position);
  }

  writeAsync(source: Buffer, position: number): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.write(this.fd, source, 0, source.length, position, (error) => (error ? reject(error) : resolve()));
    });
  }

  append(source: Buffer): void {
    fs.writeSync(this.fd, source);
  }

  datasync(): void {
    fs.fdatasyncSync(this.fd);
  }

  datasyncAsync(): Promise<void> {
    return new Promise((resolve, reject) => fs.fdatasync(this.fd, (error) => (error ? reject(error) : resolve())));
  }

  lock(): void {
    nativeBinding.lockFile(this.fd);
  }

  map(length: number): StorageMapping {
    return new NodeMapping(nativeBinding.map(this.fd, 0, length), this.fd);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** mkdir -p, then fsyncs the parent of each directory it created so the new entries last. */
function makeDurableDirectory(directory: string): void {
  const first = fs.mkdirSync(directory, { recursive: true });
  if (first === undefined) return;
  const target = nodePath.resolve(directory);
  for (let created = nodePath.resolve(first); ; created = nodePath.join(created, nextSegment(created, target))) {
    syncDirectory(nodePath.dirname(created));
    if (created === target) return;
  }
}

function nextSegment(from: string, to: string): string {
  return nodePath.relative(from, to).split(nodePath.sep)[0]!;
}

/** The real file system (Node's fs and the native addon): the default `fileSystem` of MessageStore.open. */
export const NodeFileSystem: StorageFileSystem = {
  makeDirectory: makeDurableDirectory,
  list: (directory) => (fs.existsSync(directory) ? fs.readdirSync(directory) : []),
  exists: (path) => fs.existsSync(path),
  isDirectory: (path) => fs.statSync(path).isDirectory(),
  size: (path) => fs.statSync(path).size,
  remove: (path) => fs.rmSync(path, { recursive: true, force: true }),
  truncate: (path, size) => fs.truncateSync(path, size),
  usage: (directory) => {
    const stats = fs.statfsSync(directory);
    return { usedBytes: (stats.blocks - stats.bfree) * stats.bsize, availableBytes: stats.bavail * stats.bsize };
  },
  syncDirectory,
  syncDirectoryAsync,
  open: (path, mode) => new NodeFile(path, fs.openSync(path, OPEN_FLAGS[mode])),
};
