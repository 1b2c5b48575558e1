// When the checkpointed index file is gone, recovery rebuilds the index from the start of the
// log, and the first file it creates takes the lost file's name. A rebuild cut short (here: the
// disk fills) must not be trusted by the next open as the file the old checkpoint described,
// whose entry count it would take: the entries past the cut would be zeros and their keys
// silently unfound. (Found by the store simulation, SEED=684083089.) Damage the index's own
// checks can see (a header past the file, a negative key hash) means a rebuild from the log,
// never a store that will not open (SEED=4025030769).
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'uvu';

import { INDEX_ENTRY_LAYOUT, INDEX_HEADER_LAYOUT, indexFileBytes } from '../../storage/index-file.js';
import { MessageStore, SimulatedFileSystem, StoreError } from '../../storage/index.js';
import type { StorageFile, StorageMapping } from '../../storage/index.js';
import { seededRandom } from '../support/seeded-random.js';

const DIRECTORY = '/simulated/index-rebuild';
const MESSAGES = 1000;
const PAGE_BYTES = 4096;
const OPTIONS = {
  segmentBytes: 64 * 1024,
  indexSlotCount: 64,
  indexEntryCount: 4096,
  diskFullRatio: 1,
  diskRetentionRatio: 1,
} as const;

async function storeWithKeys(fileSystem: SimulatedFileSystem): Promise<void> {
  const store = await MessageStore.open(DIRECTORY, { ...OPTIONS, fileSystem });
  for (let i = 0; i < MESSAGES; i++) {
    await store.append({ topic: 'rebuild', queueId: 0, body: Buffer.alloc(100, i), keys: `key-${i}` });
  }
  await store.close();
}

function keysFound(store: MessageStore): number {
  let found = 0;
  for (let i = 0; i < MESSAGES; i++) found += store.queryByKey('rebuild', `key-${i}`).length;
  return found;
}

test('an index rebuild cut short by a full disk is redone by the next open, and every key is found', async () => {
  const random = seededRandom('index rebuild cut short');
  const fileSystem = new SimulatedFileSystem(() => random.next());
  const options = { ...OPTIONS, fileSystem };
  await storeWithKeys(fileSystem);

  const indexDirectory = path.join(DIRECTORY, 'index');
  const [indexName, ...others] = fileSystem.list(indexDirectory);
  assert.equal(others.length, 0, 'one index file holds every entry');
  fileSystem.remove(path.join(indexDirectory, indexName!));

  // Room for the new file's header and slots and a page of entries, not for all of them.
  const used = fileSystem.usage(DIRECTORY).usedBytes;
  fileSystem.faults = { capacityBytes: used + 2 * PAGE_BYTES };
  const refused = await MessageStore.open(DIRECTORY, options).then(
    () => assert.fail('the open should run out of disk while re-indexing'),
    (error: unknown) => error,
  );
  assert.ok(refused instanceof StoreError && refused.code === 'DISK_FULL', String(refused));
  assert.deepEqual(fileSystem.list(indexDirectory), [indexName], 'the rebuild left a partial file of the old name');

  fileSystem.faults = {};
  const reopened = await MessageStore.open(DIRECTORY, options);
  try {
    assert.equal(keysFound(reopened), MESSAGES);
  } finally {
    await reopened.close();
  }
});

test('an index file whose header rotted (entry count past the file) is rebuilt from the log and the store opens', async () => {
  const random = seededRandom('index header damaged');
  const fileSystem = new SimulatedFileSystem(() => random.next());
  await storeWithKeys(fileSystem);
  const indexDirectory = path.join(DIRECTORY, 'index');
  const indexPath = path.join(indexDirectory, fileSystem.list(indexDirectory)[0]!);
  const file = fileSystem.open(indexPath, 'open');
  const count = Buffer.alloc(4);
  file.read(count, INDEX_HEADER_LAYOUT.entryCount);
  count.writeInt32BE(count.readInt32BE(0) | (1 << 27));
  file.write(count, INDEX_HEADER_LAYOUT.entryCount);
  file.close();

  const reopened = await MessageStore.open(DIRECTORY, { ...OPTIONS, fileSystem });
  try {
    assert.equal(keysFound(reopened), MESSAGES);
    assert.equal(reopened.recovery.redispatchedFrom, 0, 'the index was re-indexed from the start of the log');
  } finally {
    await reopened.close();
  }
});

test('after a power cut, a checkpointed index entry whose key hash rotted negative makes recovery rebuild the index, and the store opens', async () => {
  const random = seededRandom('index entry key hash damaged');
  const disk = new SimulatedFileSystem(() => random.next());
  const store = await MessageStore.open(DIRECTORY, { ...OPTIONS, fileSystem: disk });
  for (let i = 0; i < MESSAGES; i++) {
    await store.append({ topic: 'rebuild', queueId: 0, body: Buffer.alloc(100, i), keys: `key-${i}` });
  }
  // The checkpoint vouches for every entry; the power cut then makes recovery rebuild slots.
  await store.flush();
  const rebooted = disk.crash();
  await store.close().catch(() => undefined /* its machine is gone */);

  const indexDirectory = path.join(DIRECTORY, 'index');
  const file = rebooted.open(path.join(indexDirectory, rebooted.list(indexDirectory)[0]!), 'open');
  const entryAt = indexFileBytes(OPTIONS.indexSlotCount, 0) + INDEX_ENTRY_LAYOUT.keyHash;
  const keyHash = Buffer.alloc(4);
  file.read(keyHash, entryAt);
  keyHash[0]! |= 0x80; // The sign bit of entry 1's key hash.
  file.write(keyHash, entryAt);
  file.close();

  const reopened = await MessageStore.open(DIRECTORY, { ...OPTIONS, fileSystem: rebooted });
  try {
    assert.equal(reopened.recovery.clean, false);
    assert.equal(reopened.recovery.redispatchedFrom, 0, 'the index was re-indexed from the start of the log');
    assert.equal(keysFound(reopened), MESSAGES);
  } finally {
    await reopened.close();
  }
});

/** The simulated disk, with msync of index files failing (EIO, nothing written) while `failing`. */
class IndexSyncFailingDisk extends SimulatedFileSystem {
  failing = false;

  override open(target: string, mode: 'create' | 'open' | 'openOrCreate' | 'append'): StorageFile {
    const file = super.open(target, mode);
    if (!target.includes(`${path.sep}index${path.sep}`)) return file;
    const map = file.map.bind(file);
    file.map = (length: number): StorageMapping => {
      const mapping = map(length);
      const eio = (): Error => Object.assign(new Error(`msync of ${target} (EIO)`), { code: 'EIO' });
      const { sync, syncAsync } = mapping;
      mapping.sync = (offset, bytes) =>
        this.failing
          ? (() => {
              throw eio();
            })()
          : sync.call(mapping, offset, bytes);
      mapping.syncAsync = (offset, bytes) =>
        this.failing ? Promise.reject(eio()) : syncAsync.call(mapping, offset, bytes);
      return mapping;
    };
    return file;
  }
}

test('after an index msync fails, no later checkpoint vouches for it: a power cut loses no key of a stored message', async () => {
  const random = seededRandom('index msync failed');
  const disk = new IndexSyncFailingDisk(() => random.next());
  const store = await MessageStore.open(DIRECTORY, { ...OPTIONS, fileSystem: disk });
  const append = (i: number) =>
    store.append({ topic: 'rebuild', queueId: 0, body: Buffer.alloc(100, i), keys: `key-${i}` });
  for (let i = 0; i < MESSAGES / 2; i++) await append(i);
  await store.flush();
  for (let i = MESSAGES / 2; i < MESSAGES; i++) await append(i);
  disk.failing = true;
  await assert.rejects(store.flush(), (error: unknown) => error instanceof StoreError && /index/.test(error.message));
  disk.failing = false;
  // The log is msynced at close; the index entries of the second half never were.
  await store.close();
  const rebooted = disk.crash();

  const reopened = await MessageStore.open(DIRECTORY, { ...OPTIONS, fileSystem: rebooted });
  try {
    assert.equal(reopened.maxQueueOffset('rebuild', 0), MESSAGES, 'every message is in the log');
    assert.equal(keysFound(reopened), MESSAGES);
  } finally {
    await reopened.close();
  }
});

test.run();
