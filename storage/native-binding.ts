// The storage engine's native addon (built from storage/native/ by `npm install`), typed.
// Everything here is mechanical; the policy that decides when to call it lives in TypeScript.
import { createRequire } from 'node:module';

export interface NativeBinding {
  /** Maps [offset, offset+length) of an open file read-write and shared. */
  map(fd: number, offset: number, length: number): ArrayBuffer;
  /** Unmaps now and detaches the ArrayBuffer; throws EBUSY while async work is pending. */
  unmap(mapping: ArrayBuffer): void;
  msync(mapping: ArrayBuffer, offset: number, length: number): void;
  msyncAsync(mapping: ArrayBuffer, offset: number, length: number): Promise<void>;
  madvise(mapping: ArrayBuffer, offset: number, length: number, advice: number): void;
  mlock(mapping: ArrayBuffer, offset: number, length: number): void;
  munlock(mapping: ArrayBuffer, offset: number, length: number): void;
  /**
   * On a pool thread: preallocates the whole file behind `mapping` (status[0] becomes 1, or
   * -errno), then with `populate` faults the first `populateBytes` (0: all) in for reading,
   * leaving them clean (status[1] counts pages), then MADV_WILLNEED and optionally mlock.
   */
  preheat(
    mapping: ArrayBuffer,
    fd: number,
    status: Int32Array,
    lock: boolean,
    populate: boolean,
    populateBytes?: number,
  ): Promise<void>;
  /**
   * On a pool thread: faults [offset, offset+length) in for writing (MADV_POPULATE_WRITE)
   * without changing a byte; rejects with EINVAL where the kernel lacks it (before 5.14).
   */
  prefaultWrite(mapping: ArrayBuffer, offset: number, length: number): Promise<void>;
  fallocate(fd: number, offset: number, length: number): void;
  /** Exclusive non-blocking flock; throws EWOULDBLOCK/EAGAIN when another holder has it. */
  lockFile(fd: number): void;
  crc32c(bytes: Uint8Array, offset: number, length: number, seed: number): number;
  /** For each (start, length, target) triple writes the CRC-32C big-endian at target. */
  crc32cRanges(bytes: Uint8Array, ranges: Uint32Array, count: number): void;
  /** Index of the first (start, length, checksumAt) triple whose stored CRC is wrong, or -1. */
  crc32cVerifyRanges(bytes: Uint8Array, ranges: Uint32Array, count: number): number;
  readonly crc32cHardware: boolean;
  readonly pageSize: number;
  readonly advice: {
    readonly normal: number;
    readonly random: number;
    readonly sequential: number;
    readonly willNeed: number;
    readonly dontNeed: number;
  };
}

// dist/storage/native-binding.js -> <root>/build/Release/tributary_native.node
const require = createRequire(import.meta.url);
export const nativeBinding: NativeBinding = require('../../build/Release/tributary_native.node');
