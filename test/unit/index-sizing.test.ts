// The key index sized for its disk: with no index option an index file takes at most 1/16 of
// the file system (index-geometry.ts), so on a small disk sends with keys keep working while
// appends are allowed, instead of failing with DISK_FULL because an 84 MB index file cannot
// be created. A small index given as an option works and rolls to new files as each fills.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { MessageStore, SimulatedFileSystem } from '../../storage/index.js';
import { indexFileBytes } from '../../storage/index-file.js';
import { indexGeometryForDisk, resolveIndexGeometry } from '../../storage/index-geometry.js';
import {
  INDEX_DISK_SHARE_DIVISOR,
  INDEX_ENTRY_COUNT_DEFAULT,
  INDEX_ENTRY_COUNT_DISK_MIN,
  INDEX_SLOT_COUNT_DEFAULT,
} from '../../storage/storage-constants.js';
import { seededRandom } from '../support/seeded-random.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const DIRECTORY = '/simulated/index-sizing';
const SEGMENT_BYTES = 256 * 1024;
const BODY_BYTES = 3000;

function simulatedDisk(label: string, capacityBytes: number): SimulatedFileSystem {
  const random = seededRandom(label);
  return new SimulatedFileSystem(() => random.next(), { capacityBytes });
}

function indexFiles(fileSystem: SimulatedFileSystem): string[] {
  return fileSystem.list(`${DIRECTORY}/index`);
}

test('index sizing rule: a file takes at most 1/16 of the disk, the defaults on a large disk, the minimum on a tiny one', () => {
  assert.deepEqual(indexGeometryForDisk(100 * GIB), {
    slotCount: INDEX_SLOT_COUNT_DEFAULT,
    entryCount: INDEX_ENTRY_COUNT_DEFAULT,
  });
  for (const diskBytes of [16 * MIB, 150 * MIB, 500 * MIB, GIB]) {
    const { slotCount, entryCount } = indexGeometryForDisk(diskBytes);
    assert.ok(indexFileBytes(slotCount, entryCount) <= diskBytes / INDEX_DISK_SHARE_DIVISOR, `disk ${diskBytes}`);
    assert.ok(entryCount < INDEX_ENTRY_COUNT_DEFAULT && entryCount >= INDEX_ENTRY_COUNT_DISK_MIN);
    assert.equal(slotCount, Math.floor(entryCount / 4));
  }
  assert.equal(indexGeometryForDisk(MIB).entryCount, INDEX_ENTRY_COUNT_DISK_MIN);
  // Given counts win; one alone implies the other; an unmeasurable disk gets the defaults.
  const unmeasured = (): undefined => undefined;
  assert.deepEqual(resolveIndexGeometry({ indexSlotCount: 3, indexEntryCount: 7 }, unmeasured), {
    slotCount: 3,
    entryCount: 7,
  });
  assert.deepEqual(resolveIndexGeometry({ indexEntryCount: 400 }, unmeasured), { slotCount: 100, entryCount: 400 });
  assert.deepEqual(resolveIndexGeometry({}, unmeasured), {
    slotCount: INDEX_SLOT_COUNT_DEFAULT,
    entryCount: INDEX_ENTRY_COUNT_DEFAULT,
  });
});

test('a 16 MiB disk with no index option: sends with keys succeed up to 77% use, no DISK_FULL from creating the index', async () => {
  const capacityBytes = 16 * MIB;
  const fileSystem = simulatedDisk('small disk index', capacityBytes);
  const store = await MessageStore.open(DIRECTORY, { segmentBytes: SEGMENT_BYTES, fileSystem });
  try {
    let sent = 0;
    while (fileSystem.usage(DIRECTORY).usedBytes < 0.77 * capacityBytes) {
      await store.append({ topic: 'keyed', queueId: 0, body: Buffer.alloc(BODY_BYTES, sent % 251), keys: `k${sent}` });
      sent++;
    }
    assert.equal(store.queryByKey('keyed', 'k0').length, 1);
    assert.equal(store.queryByKey('keyed', `k${sent - 1}`).length, 1);
    assert.ok(indexFiles(fileSystem).length >= 1);
  } finally {
    await store.close();
  }
});

test('a store with indexEntryCount 8 rolls to a new index file as each fills, and every key is still found', async () => {
  const fileSystem = simulatedDisk('small index option', 64 * MIB);
  const store = await MessageStore.open(DIRECTORY, { segmentBytes: SEGMENT_BYTES, fileSystem, indexEntryCount: 8 });
  const messages = 30;
  try {
    for (let i = 0; i < messages; i++) {
      await store.append({ topic: 'rolling', queueId: 0, body: Buffer.from(`m${i}`), keys: `key-${i}` });
    }
    assert.equal(indexFiles(fileSystem).length, Math.ceil(messages / 8));
    for (let i = 0; i < messages; i++) {
      const found = store.queryByKey('rolling', `key-${i}`);
      assert.equal(found.length, 1, `key-${i}`);
      assert.equal(found[0]!.body.toString(), `m${i}`);
    }
  } finally {
    await store.close();
  }
});

test.run();
