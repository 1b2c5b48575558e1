// The checkpoint: how far each part of the store is known to be durable. Recovery trusts
// data below these offsets and re-derives everything above them from the commit log.
// Two copies are kept in alternating 512-byte slots, each with a sequence number and a CRC,
// so a write torn by a crash leaves the previous copy intact.
//
// | offset | bytes | field               | meaning                                          |
// |--------|-------|---------------------|--------------------------------------------------|
// |      0 |     4 | MAGIC               | 0x54434B50 ("TCKP")                              |
// |      4 |     4 | FORMAT_VERSION      | 1                                                |
// |      8 |     8 | SEQUENCE            | increases by one per write; the higher copy wins |
// |     16 |     8 | COMMITLOGFLUSHED    | commit log bytes below this are on disk          |
// |     24 |     8 | CONSUMEQUEUEFLUSHED | queue entries of records below this are on disk  |
// |     32 |     8 | INDEXFLUSHED        | index entries of records below this are on disk  |
// |     40 |     8 | INDEXFILEBEGIN      | begin offset of the index file holding them, -1  |
// |     48 |     4 | INDEXENTRYCOUNT     | entry count of that file at the checkpoint       |
// |     52 |     8 | WRITTENAT           | wall clock of the write, ms                      |
// |     60 |     4 | CRC                 | CRC-32C of bytes [0, 60)                         |
import path from 'node:path';

import { Int64 } from './int64.js';
import { nativeBinding } from './native-binding.js';
import { StoreError } from './store-error.js';
import type { StorageFile, StorageFileSystem } from './storage-file-system.js';

export const CHECKPOINT_MAGIC = 0x54434b50;
export const CHECKPOINT_FORMAT_VERSION = 1;
export const CHECKPOINT_RECORD_BYTES = 64;
const CHECKPOINT_SLOT_BYTES = 512;
const CHECKPOINT_SLOT_COUNT = 2;
const CHECKPOINT_FILE_NAME = 'checkpoint';

export const CHECKPOINT_LAYOUT = {
  magic: 0,
  formatVersion: 4,
  sequence: 8,
  commitLogFlushed: 16,
  consumeQueueFlushed: 24,
  indexFlushed: 32,
  indexFileBegin: 40,
  indexEntryCount: 48,
  writtenAt: 52,
  crc: 60,
} as const;

export interface CheckpointState {
  commitLogFlushed: number;
  consumeQueueFlushed: number;
  indexFlushed: number;
  indexFileBegin: number;
  indexEntryCount: number;
  writtenAt: number;
}

export const EMPTY_CHECKPOINT: Readonly<CheckpointState> = {
  commitLogFlushed: 0,
  consumeQueueFlushed: 0,
  indexFlushed: 0,
  indexFileBegin: -1,
  indexEntryCount: 0,
  writtenAt: 0,
};

export function encodeCheckpoint(state: CheckpointState, sequence: number): Buffer {
  const bytes = Buffer.alloc(CHECKPOINT_RECORD_BYTES);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  view.setUint32(CHECKPOINT_LAYOUT.magic, CHECKPOINT_MAGIC);
  view.setUint32(CHECKPOINT_LAYOUT.formatVersion, CHECKPOINT_FORMAT_VERSION);
  Int64.write(view, CHECKPOINT_LAYOUT.sequence, sequence);
  Int64.write(view, CHECKPOINT_LAYOUT.commitLogFlushed, state.commitLogFlushed);
  Int64.write(view, CHECKPOINT_LAYOUT.consumeQueueFlushed, state.consumeQueueFlushed);
  Int64.write(view, CHECKPOINT_LAYOUT.indexFlushed, state.indexFlushed);
  Int64.write(view, CHECKPOINT_LAYOUT.indexFileBegin, state.indexFileBegin);
  view.setInt32(CHECKPOINT_LAYOUT.indexEntryCount, state.indexEntryCount);
  Int64.write(view, CHECKPOINT_LAYOUT.writtenAt, state.writtenAt);
  view.setUint32(CHECKPOINT_LAYOUT.crc, nativeBinding.crc32c(bytes, 0, CHECKPOINT_LAYOUT.crc, 0));
  return bytes;
}

/** The state and sequence in `bytes`, or undefined when magic, version or CRC is wrong. */
export function decodeCheckpoint(bytes: Buffer): { state: CheckpointState; sequence: number } | undefined {
  if (bytes.length < CHECKPOINT_RECORD_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, CHECKPOINT_RECORD_BYTES);
  if (view.getUint32(CHECKPOINT_LAYOUT.magic) !== CHECKPOINT_MAGIC) return undefined;
  if (view.getUint32(CHECKPOINT_LAYOUT.formatVersion) !== CHECKPOINT_FORMAT_VERSION) return undefined;
  if (view.getUint32(CHECKPOINT_LAYOUT.crc) !== nativeBinding.crc32c(bytes, 0, CHECKPOINT_LAYOUT.crc, 0)) {
    return undefined;
  }
  return {
    sequence: Int64.read(view, CHECKPOINT_LAYOUT.sequence),
    state: {
      commitLogFlushed: Int64.read(view, CHECKPOINT_LAYOUT.commitLogFlushed),
      consumeQueueFlushed: Int64.read(view, CHECKPOINT_LAYOUT.consumeQueueFlushed),
      indexFlushed: Int64.read(view, CHECKPOINT_LAYOUT.indexFlushed),
      indexFileBegin: Int64.read(view, CHECKPOINT_LAYOUT.indexFileBegin),
      indexEntryCount: view.getInt32(CHECKPOINT_LAYOUT.indexEntryCount),
      writtenAt: Int64.read(view, CHECKPOINT_LAYOUT.writtenAt),
    },
  };
}

export class Checkpoint {
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: StorageFile,
    private sequence: number,
    private current: CheckpointState,
  ) {}

  /** Opens (or creates) the checkpoint file in `directory` and loads the newest valid copy. */
  static open(fileSystem: StorageFileSystem, directory: string): Checkpoint {
    const filePath = path.join(directory, CHECKPOINT_FILE_NAME);
    let file: StorageFile;
    const bytes = Buffer.alloc(CHECKPOINT_SLOT_BYTES * CHECKPOINT_SLOT_COUNT);
    try {
      file = fileSystem.open(filePath, 'openOrCreate');
      file.read(bytes, 0);
    } catch (error) {
      throw StoreError.fromSystemError(error, `opening ${filePath}`);
    }
    let best: { state: CheckpointState; sequence: number } | undefined;
    for (let slot = 0; slot < CHECKPOINT_SLOT_COUNT; slot++) {
      const copy = decodeCheckpoint(bytes.subarray(slot * CHECKPOINT_SLOT_BYTES));
      if (copy !== undefined && (best === undefined || copy.sequence > best.sequence)) best = copy;
    }
    return new Checkpoint(file, best?.sequence ?? 0, best?.state ?? { ...EMPTY_CHECKPOINT });
  }

  get state(): Readonly<CheckpointState> {
    return this.current;
  }

  /** Writes and fdatasyncs a new copy off the event loop; writes never overlap. */
  write(state: CheckpointState): Promise<void> {
    const run = async (): Promise<void> => {
      const sequence = this.sequence + 1;
      const bytes = encodeCheckpoint(state, sequence);
      const position = (sequence % CHECKPOINT_SLOT_COUNT) * CHECKPOINT_SLOT_BYTES;
      await this.file.writeAsync(bytes, position);
      await this.file.datasyncAsync();
      this.sequence = sequence;
      this.current = { ...state };
    };
    this.writing = this.writing.then(run, run);
    return this.writing.catch((error: unknown) => {
      throw StoreError.fromSystemError(error, 'writing the checkpoint');
    });
  }

  /** Synchronous write, for close and recovery. */
  writeSync(state: CheckpointState): void {
    const sequence = this.sequence + 1;
    const bytes = encodeCheckpoint(state, sequence);
    try {
      this.file.write(bytes, (sequence % CHECKPOINT_SLOT_COUNT) * CHECKPOINT_SLOT_BYTES);
      this.file.datasync();
    } catch (error) {
      throw StoreError.fromSystemError(error, 'writing the checkpoint');
    }
    this.sequence = sequence;
    this.current = { ...state };
  }

  async close(): Promise<void> {
    await this.writing.catch(() => undefined);
    this.file.close();
  }
}
