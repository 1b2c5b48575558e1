// The storage engine's native addon, called directly: mapping, msync, madvise, mlock, preheat,
// preallocation, file locks, CRC-32C, and the promise that it never crashes and always reports
// failures with the errno name as `code`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { test } from 'uvu';

import { nativeBinding } from '../../storage/native-binding.js';
import { seededRandom } from '../support/seeded-random.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const require = createRequire(import.meta.url);
const { pageSize } = nativeBinding;
const MAPPING_PAGES = 8;
const MAPPING_BYTES = MAPPING_PAGES * pageSize;

interface Fixture {
  fd: number;
  filePath: string;
  mapping: ArrayBuffer;
  buffer: Buffer;
  done(): void;
}

/** A fresh file of `bytes` bytes, mapped; done() unmaps (if still mapped), closes and deletes. */
function mappedFile(label: string, bytes = MAPPING_BYTES): Fixture {
  const directory = temporaryDirectory(`native-${label}`);
  const filePath = path.join(directory.path, 'mapped');
  const fd = fs.openSync(filePath, 'w+');
  fs.ftruncateSync(fd, bytes);
  const mapping = nativeBinding.map(fd, 0, bytes);
  return {
    fd,
    filePath,
    mapping,
    buffer: Buffer.from(mapping),
    done() {
      if (mapping.byteLength > 0) nativeBinding.unmap(mapping);
      fs.closeSync(fd);
      directory.remove();
    },
  };
}

/** Asserts `action` throws an error whose `code` is one of `codes`, and returns the error. */
function throwsWithCode(action: () => unknown, codes: readonly string[]): Error & { code: string } {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof Error, `expected a throw with code ${codes.join(' or ')}`);
  const code = (caught as { code?: unknown }).code;
  assert.ok(typeof code === 'string' && codes.includes(code), `code ${String(code)}, expected ${codes.join(' or ')}`);
  return caught as Error & { code: string };
}

/** Asserts `action` throws an `errorClass` whose message is a full sentence. */
function throwsSentence(action: () => unknown, errorClass: typeof TypeError | typeof RangeError): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof errorClass, `expected ${errorClass.name}, got ${String(error)}`);
    assert.match(error.message, /^[A-Z][^\n]* [^\n]*\.$/, `"${error.message}" is not a sentence`);
    return true;
  });
}

function fillPattern(buffer: Buffer): void {
  for (let i = 0; i < buffer.length; i++) buffer[i] = (i * 31 + 7) & 255;
}

function hasPattern(buffer: Buffer): boolean {
  for (let i = 0; i < buffer.length; i++) if (buffer[i] !== ((i * 31 + 7) & 255)) return false;
  return true;
}

test('native: bytes written through a mapping reach the file after msync and msyncAsync (pages=8)', async () => {
  const file = mappedFile('write');
  try {
    assert.equal(file.buffer.length, MAPPING_BYTES);
    file.buffer.write('first page', 0, 'latin1');
    nativeBinding.msync(file.mapping, 0, pageSize);
    // An unaligned range is widened to its page start, which is what callers mean.
    file.buffer.write('last page', MAPPING_BYTES - pageSize + 100, 'latin1');
    await nativeBinding.msyncAsync(file.mapping, MAPPING_BYTES - pageSize + 100, 9);
    const onDisk = fs.readFileSync(file.filePath);
    assert.equal(onDisk.toString('latin1', 0, 10), 'first page');
    assert.equal(
      onDisk.toString('latin1', MAPPING_BYTES - pageSize + 100, MAPPING_BYTES - pageSize + 109),
      'last page',
    );
    // Zero-length ranges are a no-op, not an error.
    nativeBinding.msync(file.mapping, MAPPING_BYTES, 0);
    await nativeBinding.msyncAsync(file.mapping, 0, 0);
  } finally {
    file.done();
  }
});

test('native: madvise accepts every exported advice and keeps the mapped bytes (advice=5 kinds)', () => {
  const file = mappedFile('madvise');
  try {
    fillPattern(file.buffer);
    nativeBinding.msync(file.mapping, 0, MAPPING_BYTES);
    const names = ['normal', 'random', 'sequential', 'willNeed', 'dontNeed'] as const;
    for (const name of names) {
      const advice = nativeBinding.advice[name];
      assert.equal(typeof advice, 'number', name);
      nativeBinding.madvise(file.mapping, 0, MAPPING_BYTES, advice);
      nativeBinding.madvise(file.mapping, pageSize + 1, 10, advice);
    }
    // MADV_DONTNEED on a shared file mapping drops the pages; they fault back from the file.
    assert.ok(hasPattern(file.buffer));
    const error = throwsWithCode(() => nativeBinding.madvise(file.mapping, 0, MAPPING_BYTES, 0x7fff), ['EINVAL']);
    assert.equal((error as { syscall?: string }).syscall, 'madvise');
  } finally {
    file.done();
  }
});

test('native: mlock and munlock succeed, or fail with code and syscall (pages=2)', () => {
  const file = mappedFile('mlock');
  try {
    let locked = true;
    try {
      nativeBinding.mlock(file.mapping, 0, 2 * pageSize);
    } catch (error) {
      locked = false;
      const { code, syscall } = error as { code?: string; syscall?: string };
      assert.ok(code === 'EPERM' || code === 'ENOMEM', `mlock failed with ${String(code)}`);
      assert.equal(syscall, 'mlock');
    }
    if (locked) nativeBinding.munlock(file.mapping, 0, 2 * pageSize);
    // munlock of pages that are not locked is not an error.
    nativeBinding.munlock(file.mapping, 0, pageSize);
  } finally {
    file.done();
  }
});

test('native: preheat reserves and populates every page and keeps bytes already written (pages=8)', async () => {
  const file = mappedFile('preheat');
  try {
    fillPattern(file.buffer.subarray(0, 3 * pageSize + 17));
    const status = new Int32Array(2);
    await nativeBinding.preheat(file.mapping, file.fd, status, false, true);
    assert.equal(status[0], 1, 'blocks reserved');
    assert.equal(status[1], MAPPING_PAGES, 'every page populated');
    assert.ok(hasPattern(file.buffer.subarray(0, 3 * pageSize + 17)), 'preheat must not change written bytes');
    assert.equal(
      file.buffer.subarray(3 * pageSize + 17).some((byte) => byte !== 0),
      false,
      'the rest stays zero',
    );
    // Without populate only the blocks are reserved; a later populate counts all pages.
    const reserveOnly = new Int32Array(2);
    await nativeBinding.preheat(file.mapping, file.fd, reserveOnly, false, false);
    assert.deepEqual([...reserveOnly], [1, 0]);
    const again = new Int32Array(4);
    await nativeBinding.preheat(file.mapping, file.fd, again, false, true);
    assert.deepEqual([...again.subarray(0, 2)], [1, MAPPING_PAGES]);
    assert.ok(hasPattern(file.buffer.subarray(0, 3 * pageSize + 17)));
    assert.ok(fs.fstatSync(file.fd).blocks * 512 >= MAPPING_BYTES, 'blocks are allocated on disk');
  } finally {
    file.done();
  }
});

test('native: preheat with populateBytes faults in only that prefix yet reserves every block (pages=8)', async () => {
  const file = mappedFile('preheat-prefix');
  try {
    const status = new Int32Array(2);
    await nativeBinding.preheat(file.mapping, file.fd, status, false, true, 2 * pageSize);
    assert.equal(status[0], 1, 'blocks reserved');
    assert.equal(status[1], 2, 'only the prefix populated');
    assert.ok(fs.fstatSync(file.fd).blocks * 512 >= MAPPING_BYTES, 'every block is allocated on disk');
    assert.throws(
      () => nativeBinding.preheat(file.mapping, file.fd, new Int32Array(2), false, true, -1),
      /populateBytes/,
    );
  } finally {
    file.done();
  }
});

test('native: prefaultWrite faults pages in without changing a byte, or rejects with EINVAL (pages=8)', async () => {
  const file = mappedFile('prefault-write');
  try {
    const status = new Int32Array(2);
    await nativeBinding.preheat(file.mapping, file.fd, status, false, false);
    fillPattern(file.buffer.subarray(0, 2 * pageSize + 5));
    try {
      // An unaligned start is widened to its page, as for msync.
      await nativeBinding.prefaultWrite(file.mapping, 17, MAPPING_BYTES - 17);
    } catch (error) {
      assert.equal((error as { code?: unknown }).code, 'EINVAL', 'only a kernel without the advice may refuse');
    }
    assert.ok(hasPattern(file.buffer.subarray(0, 2 * pageSize + 5)), 'prefaulting must not change written bytes');
    assert.equal(
      file.buffer.subarray(2 * pageSize + 5).some((byte) => byte !== 0),
      false,
      'the rest stays zero',
    );
    throwsSentence(() => nativeBinding.prefaultWrite(file.mapping, pageSize, MAPPING_BYTES), RangeError);
  } finally {
    file.done();
  }
});

/** The collector, from a fresh context (flags set at run time reach new contexts). */
function exposedGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

function mappedRegionsOf(filePath: string): number {
  return fs
    .readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((line) => line.endsWith(filePath)).length;
}

test('native: a mapping is not counted as collectable external memory (64 MiB mapped, < 1 MiB counted)', () => {
  const file = mappedFile('external-memory', 64 * 1024 * 1024);
  try {
    const before = process.memoryUsage().external;
    const second = nativeBinding.map(file.fd, 0, 64 * 1024 * 1024);
    // Counted, it would make V8 collect garbage to free memory no collection can free.
    assert.ok(process.memoryUsage().external - before < 1024 * 1024, 'the mapping must not count');
    nativeBinding.unmap(second);
  } finally {
    file.done();
  }
});

test('native: a mapping never unmapped is released when its ArrayBuffer is collected (mappings=4)', async () => {
  const file = mappedFile('collected');
  try {
    const gc = exposedGc();
    (() => {
      for (let i = 0; i < 4; i++) new Uint8Array(nativeBinding.map(file.fd, 0, MAPPING_BYTES))[0] = i;
    })();
    assert.equal(mappedRegionsOf(file.filePath), 5, 'the fixture mapping and the four');
    const deadline = Date.now() + 10_000;
    while (mappedRegionsOf(file.filePath) > 1 && Date.now() < deadline) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(mappedRegionsOf(file.filePath), 1, 'only the fixture mapping is left');
  } finally {
    file.done();
  }
});

test('native: preheat with lock resolves, or rejects with an mlock errno (pages=8)', async () => {
  const file = mappedFile('preheat-lock');
  try {
    const status = new Int32Array(2);
    try {
      await nativeBinding.preheat(file.mapping, file.fd, status, true, true);
      nativeBinding.munlock(file.mapping, 0, MAPPING_BYTES);
    } catch (error) {
      const { code, syscall } = error as { code?: string; syscall?: string };
      assert.ok(code === 'EPERM' || code === 'ENOMEM', `preheat lock failed with ${String(code)}`);
      assert.equal(syscall, 'mlock');
    }
    assert.deepEqual([...status], [1, MAPPING_PAGES]);
  } finally {
    file.done();
  }
});

test('native: a preheat that cannot reserve blocks rejects with EBADF and reports -errno in status', async () => {
  const file = mappedFile('preheat-fail');
  const readOnly = fs.openSync(file.filePath, 'r');
  try {
    const status = new Int32Array(2);
    await assert.rejects(nativeBinding.preheat(file.mapping, readOnly, status, false, true), (error: unknown) => {
      const { code, syscall } = error as { code?: string; syscall?: string };
      assert.equal(code, 'EBADF');
      assert.equal(syscall, 'fallocate');
      return true;
    });
    assert.equal(status[0], -9, 'status[0] is -EBADF');
    assert.equal(status[1], 0, 'nothing populated');
  } finally {
    fs.closeSync(readOnly);
    file.done();
  }
});

test('native: fallocate extends a file to the requested size (bytes=3 pages)', () => {
  const directory = temporaryDirectory('native-fallocate');
  const fd = fs.openSync(path.join(directory.path, 'file'), 'w+');
  try {
    nativeBinding.fallocate(fd, 0, 3 * pageSize);
    assert.equal(fs.fstatSync(fd).size, 3 * pageSize);
    nativeBinding.fallocate(fd, pageSize, 4 * pageSize);
    assert.equal(fs.fstatSync(fd).size, 5 * pageSize);
  } finally {
    fs.closeSync(fd);
    directory.remove();
  }
});

test('native: lockFile on a second descriptor of a locked file throws EWOULDBLOCK or EAGAIN', () => {
  const directory = temporaryDirectory('native-lock');
  const filePath = path.join(directory.path, 'lock');
  let first: number | undefined = fs.openSync(filePath, 'w+');
  const second = fs.openSync(filePath, 'r+');
  try {
    const holder = first;
    nativeBinding.lockFile(holder);
    nativeBinding.lockFile(holder); // Re-locking through the same description is allowed.
    const error = throwsWithCode(() => nativeBinding.lockFile(second), ['EWOULDBLOCK', 'EAGAIN']);
    assert.equal((error as { syscall?: string }).syscall, 'flock');
    assert.equal(typeof (error as { errno?: unknown }).errno, 'number');
    fs.closeSync(holder);
    first = undefined;
    nativeBinding.lockFile(second); // Closing the holder released the lock.
  } finally {
    if (first !== undefined) fs.closeSync(first);
    fs.closeSync(second);
    directory.remove();
  }
});

test('native: system call failures carry the errno name as code (EBADF, EACCES)', () => {
  const directory = temporaryDirectory('native-errno');
  const filePath = path.join(directory.path, 'file');
  fs.writeFileSync(filePath, Buffer.alloc(pageSize));
  const readOnly = fs.openSync(filePath, 'r');
  // A descriptor number far above anything this process has open.
  const notOpen = 1 << 20;
  try {
    for (const [action, syscall] of [
      [() => nativeBinding.map(notOpen, 0, pageSize), 'mmap'],
      [() => nativeBinding.fallocate(notOpen, 0, pageSize), 'fallocate'],
      [() => nativeBinding.lockFile(notOpen), 'flock'],
    ] as const) {
      const error = throwsWithCode(action, ['EBADF']);
      assert.equal((error as { syscall?: string }).syscall, syscall);
      assert.equal((error as { errno?: number }).errno, 9);
    }
    // A shared writable mapping of a read-only descriptor is refused by the kernel.
    throwsWithCode(() => nativeBinding.map(readOnly, 0, pageSize), ['EACCES']);
    // fd -1 never reaches the kernel: the argument guard rejects it first.
    throwsSentence(() => nativeBinding.map(-1, 0, pageSize), TypeError);
  } finally {
    fs.closeSync(readOnly);
    directory.remove();
  }
});

test('native: unmap detaches the mapping so stale views throw instead of crashing', () => {
  const file = mappedFile('unmap');
  try {
    const view = new DataView(file.mapping);
    const slice = file.buffer.subarray(10, 20);
    file.buffer.writeUInt32BE(0xdeadbeef, 0);
    nativeBinding.unmap(file.mapping);
    assert.equal(file.mapping.byteLength, 0);
    assert.equal(file.buffer.length, 0);
    assert.equal(slice.length, 0);
    assert.throws(() => file.buffer.readUInt32BE(0), RangeError);
    assert.throws(() => view.getUint32(0), TypeError);
    const closed = ['ERR_MAPPING_CLOSED'];
    throwsWithCode(() => nativeBinding.unmap(file.mapping), closed);
    throwsWithCode(() => nativeBinding.msync(file.mapping, 0, 0), closed);
    throwsWithCode(() => nativeBinding.msyncAsync(file.mapping, 0, 0), closed);
    throwsWithCode(() => nativeBinding.madvise(file.mapping, 0, 0, nativeBinding.advice.normal), closed);
    throwsWithCode(() => nativeBinding.mlock(file.mapping, 0, 0), closed);
    throwsWithCode(() => nativeBinding.munlock(file.mapping, 0, 0), closed);
    throwsWithCode(() => nativeBinding.preheat(file.mapping, file.fd, new Int32Array(2), false, true), closed);
    // The file itself kept what was written before the unmap.
    assert.equal(fs.readFileSync(file.filePath).readUInt32BE(0), 0xdeadbeef);
  } finally {
    file.done();
  }
});

test('native: unmap while an msyncAsync is pending throws EBUSY and succeeds once it settles', async () => {
  const file = mappedFile('unmap-busy');
  try {
    file.buffer.fill(1);
    const flushing = nativeBinding.msyncAsync(file.mapping, 0, MAPPING_BYTES);
    const error = throwsWithCode(() => nativeBinding.unmap(file.mapping), ['EBUSY']);
    assert.equal((error as { syscall?: string }).syscall, 'munmap');
    assert.equal(file.buffer.length, MAPPING_BYTES, 'a refused unmap leaves the mapping usable');
    const preheating = nativeBinding.preheat(file.mapping, file.fd, new Int32Array(2), false, false);
    throwsWithCode(() => nativeBinding.unmap(file.mapping), ['EBUSY']);
    await Promise.all([flushing, preheating]);
    nativeBinding.unmap(file.mapping);
    assert.equal(file.buffer.length, 0);
  } finally {
    file.done();
  }
});

test('native: bad arguments throw TypeError or RangeError with a sentence', () => {
  const file = mappedFile('arguments');
  const call = nativeBinding as unknown as Record<string, (...args: unknown[]) => unknown>;
  try {
    const bytes = Buffer.alloc(16);
    const { mapping, fd } = file;
    for (const action of [
      () => call.map!(fd, 0),
      () => call.map!('3', 0, pageSize),
      () => call.map!(fd, 1.5, pageSize),
      () => call.map!(fd, 0, Number.NaN),
      () => call.map!(fd, 0, 2 ** 53),
      () => call.msync!(bytes, 0, 1),
      () => call.msync!(mapping, '0', 1),
      () => call.madvise!(mapping, 0, 1),
      () => call.preheat!(mapping, fd, new Int32Array(1), 0, false, true),
      () => call.preheat!(mapping, fd, new Uint32Array(2), 0, false, true),
      () => call.preheat!(mapping, fd, new Int32Array(2), 0, 1, true),
      () => call.preheat!(mapping, fd, new Int32Array(2), 0, false),
      () => call.crc32c!([1, 2, 3], 0, 3, 0),
      () => call.crc32c!(new Uint16Array(4), 0, 3, 0),
      () => call.crc32cRanges!(bytes, [0, 4, 8], 1),
      () => call.lockFile!(),
    ]) {
      throwsSentence(action, TypeError);
    }
    for (const action of [
      () => call.map!(fd, 0, 0),
      () => call.msync!(mapping, 0, MAPPING_BYTES + 1),
      () => call.msyncAsync!(mapping, MAPPING_BYTES, 1),
      () => call.mlock!(mapping, -1, 1),
      () => call.crc32c!(bytes, 10, 7, 0),
      () => call.crc32c!(bytes, 17, 0, 0),
      () => call.crc32c!(bytes, 0, 1, 2 ** 32),
      () => call.crc32cRanges!(bytes, new Uint32Array([0, 4, 8]), 2),
      () => call.crc32cRanges!(bytes, new Uint32Array([0, 4, 13]), 1),
      () => call.crc32cRanges!(bytes, new Uint32Array([8, 9, 0]), 1),
    ]) {
      throwsSentence(action, RangeError);
    }
    // None of the refused calls touched the mapping.
    assert.equal(file.buffer.length, MAPPING_BYTES);
  } finally {
    file.done();
  }
});

interface Crc32cModule {
  calculate(bytes: Buffer | string, seed?: number): number;
}

test('native: crc32c equals fast-crc32c on seeded random inputs (lengths 0..70000, with seeds)', () => {
  const fastCrc32c = require('fast-crc32c') as Crc32cModule;
  const random = seededRandom('native crc32c');
  const pool = random.bytes(70_000 + 64);
  // 3071-3073, 6143-6145, 16_585, 70_000: around and across the three-lane blocks of 3 KiB.
  const lengths = [0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 63, 64, 65, 3071, 3072, 3073, 4095, 4096, 4097];
  lengths.push(6143, 6144, 6145, 9999, 10_000, 16_585, 70_000);
  for (let i = 0; i < 300; i++) lengths.push(random.between(0, i < 100 ? 70_000 : 10_000));
  for (const length of lengths) {
    const offset = random.between(0, 63);
    const slice = pool.subarray(offset, offset + length);
    assert.equal(nativeBinding.crc32c(pool, offset, length, 0), fastCrc32c.calculate(slice), `length ${length}`);
    const seed = random.int(2 ** 32);
    assert.equal(nativeBinding.crc32c(pool, offset, length, seed), fastCrc32c.calculate(slice, seed), `seed ${seed}`);
  }
  // A seed continues a previous checksum: crc(a + b) = crc(b, seed = crc(a)).
  const split = random.between(0, 10_000);
  const head = nativeBinding.crc32c(pool, 0, split, 0);
  assert.equal(nativeBinding.crc32c(pool, split, 10_000 - split, head), nativeBinding.crc32c(pool, 0, 10_000, 0));
  // The standard check value of CRC-32C.
  assert.equal(nativeBinding.crc32c(Buffer.from('123456789'), 0, 9, 0), 0xe3069283);
});

test('native: crc32cRanges writes each range checksum big-endian at its target (ranges=1..64)', () => {
  const fastCrc32c = require('fast-crc32c') as Crc32cModule;
  const random = seededRandom('native crc32cRanges');
  for (let round = 0; round < 20; round++) {
    const count = random.between(1, 64);
    const dataBytes = 20_000;
    const bytes = Buffer.concat([random.bytes(dataBytes), Buffer.alloc(count * 4)]);
    const original = Buffer.from(bytes.subarray(0, dataBytes));
    const ranges = new Uint32Array(count * 3 + 3); // Spare room: only `count` triples are used.
    ranges.fill(0xffffffff);
    for (let i = 0; i < count; i++) {
      const start = random.between(0, dataBytes);
      ranges[i * 3] = start;
      ranges[i * 3 + 1] = random.between(0, Math.min(10_000, dataBytes - start));
      ranges[i * 3 + 2] = dataBytes + i * 4;
    }
    nativeBinding.crc32cRanges(bytes, ranges, count);
    assert.ok(bytes.subarray(0, dataBytes).equals(original), 'only targets are written');
    for (let i = 0; i < count; i++) {
      const start = ranges[i * 3]!;
      const expected = fastCrc32c.calculate(original.subarray(start, start + ranges[i * 3 + 1]!));
      assert.equal(bytes.readUInt32BE(dataBytes + i * 4), expected, `range ${i} of ${count}`);
    }
  }
  nativeBinding.crc32cRanges(Buffer.alloc(0), new Uint32Array(0), 0);
});

test('native: the hardware CRC-32C paths are the ones loaded (sse4_crc32, fast-crc32c, addon)', () => {
  // If this fails, sse4_crc32 did not build (see package.json allowScripts) and fast-crc32c
  // silently fell back to its pure-JS table: checksums still match, but at a fraction of the speed.
  const sse4 = require('sse4_crc32') as Crc32cModule & {
    hardware_support: boolean;
    sse42_crc: unknown;
  };
  assert.equal(sse4.hardware_support, true, 'sse4_crc32 reports no SSE4.2 support');
  assert.equal(sse4.calculate, sse4.sse42_crc, 'sse4_crc32 picked its table fallback');
  const loaded = require('fast-crc32c') as Crc32cModule;
  const hardwareImplementation = require('fast-crc32c/impls/sse4_crc32c') as Crc32cModule;
  assert.equal(loaded, hardwareImplementation, 'fast-crc32c/loader.js did not pick ./impls/sse4_crc32c');
  assert.equal(loaded.calculate, sse4.sse42_crc);
  assert.notEqual(loaded, require('fast-crc32c/impls/js_crc32c'));
  assert.equal(nativeBinding.crc32cHardware, true, 'the addon is using its software table');
  assert.equal(pageSize, 4096);
});

test.run();
