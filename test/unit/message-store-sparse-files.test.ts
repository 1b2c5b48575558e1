// Consume queue and index files are sparse and reserve their blocks just ahead of each write:
// a fresh store's queues and index cost about what they hold (they were preallocated whole: 6
// MB per queue, 84 MB of index), and a disk that fills while they grow fails the append with
// DISK_FULL before anything of it is stored, never a SIGBUS on a hole of the mapping.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';

import { MessageStore, SimulatedFileSystem, StoreError } from '../../storage/index.js';
import { seededRandom } from '../support/seeded-random.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const SEGMENT_BYTES = 64 * 1024;
const QUEUE_ENTRIES_PER_FILE = 300_000;
const INDEX_SLOTS = 100_000;
const INDEX_ENTRIES = 400_000;
const BLOCK_BYTES = 512;

function blocksUnder(directory: string): number {
  let bytes = 0;
  for (const entry of fs.readdirSync(directory, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += fs.statSync(path.join(entry.parentPath, entry.name)).blocks * BLOCK_BYTES;
  }
  return bytes;
}

test('a fresh store with 8 queues takes disk for the entries written, not 6 MB per queue file and a whole index', async () => {
  const directory = temporaryDirectory('sparse-files');
  try {
    const store = await MessageStore.open(directory.path, {
      segmentBytes: SEGMENT_BYTES,
      consumeQueueEntriesPerFile: QUEUE_ENTRIES_PER_FILE,
      indexSlotCount: INDEX_SLOTS,
      indexEntryCount: INDEX_ENTRIES,
    });
    try {
      for (let i = 0; i < 80; i++)
        await store.append({ topic: 'sparse', queueId: i % 8, body: Buffer.from('x'), keys: `k${i}` });
      await store.flush();
      const queues = blocksUnder(path.join(directory.path, 'consumequeue'));
      const index = blocksUnder(path.join(directory.path, 'index'));
      // A block or two per queue; header and slots (400 KB), then entries in steps that at most
      // double what is reserved (the whole file would be 8.4 MB).
      assert.ok(queues <= 8 * 8192, `consume queues take ${queues} bytes`);
      assert.ok(index <= 2 * (48 + 4 * INDEX_SLOTS) + 2 * 4096, `the index takes ${index} bytes`);
      assert.equal(store.read('sparse', 7, 0, 20).messages.length, 10);
    } finally {
      await store.close();
    }
    // Reopened (lazily reserved again), the queues and index still serve and grow.
    const reopened = await MessageStore.open(directory.path, {
      segmentBytes: SEGMENT_BYTES,
      consumeQueueEntriesPerFile: QUEUE_ENTRIES_PER_FILE,
      indexSlotCount: INDEX_SLOTS,
      indexEntryCount: INDEX_ENTRIES,
    });
    try {
      await reopened.append({ topic: 'sparse', queueId: 7, body: Buffer.from('y'), keys: 'k-after' });
      assert.equal(reopened.read('sparse', 7, 0, 20).messages.length, 11);
      assert.equal(reopened.queryByKey('sparse', 'k-after').length, 1);
    } finally {
      await reopened.close();
    }
  } finally {
    directory.remove();
  }
});

test('a disk that fills while new queue files grow fails the append with DISK_FULL and stores none of it', async () => {
  const random = seededRandom('sparse queue disk full');
  const fileSystem = new SimulatedFileSystem(() => random.next(), { capacityBytes: 256 * 1024 });
  const store = await MessageStore.open('/simulated/sparse', {
    fileSystem,
    segmentBytes: SEGMENT_BYTES,
    consumeQueueEntriesPerFile: QUEUE_ENTRIES_PER_FILE,
    indexSlotCount: 64,
    indexEntryCount: 4096,
    diskFullRatio: 1,
    diskRetentionRatio: 1,
  });
  try {
    let stored = 0;
    let failure: unknown;
    for (let queueId = 0; queueId < 64 && failure === undefined; queueId++) {
      const before = store.stats().maxOffset;
      try {
        await store.append({ topic: 'fill', queueId, body: Buffer.from('x') });
        stored++;
      } catch (error) {
        failure = error;
        assert.equal(store.stats().maxOffset, before, 'the refused record is not in the log');
        assert.equal(store.read('fill', queueId, 0, 1).messages.length, 0, 'nor in its queue');
      }
    }
    assert.ok(failure instanceof StoreError && failure.code === 'DISK_FULL', `got ${String(failure)}`);
    // Preallocated whole, not one 6 MB queue file fits; sparse, each new queue costs a page.
    assert.ok(stored >= 16, `only ${stored} queues fit`);
    for (let queueId = 0; queueId < stored; queueId++) {
      assert.equal(store.read('fill', queueId, 0, 1).messages.length, 1, `queue ${queueId} kept its message`);
    }
  } finally {
    await store.close();
  }
});

test.run();
