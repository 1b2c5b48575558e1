// The store's replication API (MessageStore.appendReplicated / encodedFrom): a copy takes a
// master's encoded records at the same offsets and serves them by queue and key, but a flipped
// byte, a stream that does not start at its log end, or a local append on a read-only replica
// is refused with a typed error and writes nothing.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { MessageStore, StoreError } from '../../storage/index.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const OPTIONS = { segmentBytes: 64 * 1024, indexSlotCount: 1024, indexEntryCount: 4096 };
const CHUNK_BYTES_MAX = 8 * 1024;

async function withStores(work: (master: MessageStore, copy: MessageStore) => Promise<void>): Promise<void> {
  const masterDirectory = temporaryDirectory('replicated-append-master');
  const copyDirectory = temporaryDirectory('replicated-append-copy');
  const master = await MessageStore.open(masterDirectory.path, OPTIONS);
  const copy = await MessageStore.open(copyDirectory.path, OPTIONS);
  try {
    await work(master, copy);
  } finally {
    await Promise.all([master.close(), copy.close()]);
    masterDirectory.remove();
    copyDirectory.remove();
  }
}

const isStoreError = (code: string) => (error: unknown) => error instanceof StoreError && error.code === code;

/** Copies everything from `master` into `copy`, chunk by chunk, as the HA stream does. */
async function replicate(master: MessageStore, copy: MessageStore): Promise<void> {
  for (;;) {
    const chunk = master.encodedFrom(copy.commitLogMaxOffset, CHUNK_BYTES_MAX);
    if (chunk === undefined) return;
    try {
      await copy.appendReplicated(copy.commitLogMaxOffset, Buffer.from(chunk.bytes));
    } finally {
      chunk.release();
    }
  }
}

test('replicated append: a copy takes the master records at the same offsets across segment ends (each next segment prepared ahead, as on the master) and serves them by queue and key', async () => {
  await withStores(async (master, copy) => {
    for (let i = 0; i < 300; i++) {
      await master.append({ topic: 'orders', queueId: i % 3, body: Buffer.alloc(700, i), keys: [`k${i}`] });
    }
    await replicate(master, copy);
    assert.equal(copy.commitLogMaxOffset, master.commitLogMaxOffset);
    assert.ok(master.stats().segments > 2, 'segments rolled, blank markers included');
    // As on the master, each next segment was prepared before the copy reached it.
    assert.equal(copy.stats().allocationStalls, master.stats().allocationStalls);
    for (let queueId = 0; queueId < 3; queueId++) assert.equal(copy.maxQueueOffset('orders', queueId), 100);
    assert.equal(copy.queryByKey('orders', 'k299')[0]?.body[0], 299 & 0xff);
    const read = copy.read('orders', 1, 0, 5);
    assert.deepEqual(
      read.messages.map((message) => message.commitLogOffset),
      master.read('orders', 1, 0, 5).messages.map((message) => message.commitLogOffset),
    );
  });
});

test('replicated append: a record with one flipped byte is refused (REPLICATION_DIVERGED) and writes nothing', async () => {
  await withStores(async (master, copy) => {
    await master.append({ topic: 'orders', queueId: 0, body: Buffer.from('paid') });
    const chunk = master.encodedFrom(0, CHUNK_BYTES_MAX)!;
    const damaged = Buffer.from(chunk.bytes);
    chunk.release();
    damaged[damaged.length - 3]! ^= 0x01;
    await assert.rejects(copy.appendReplicated(0, damaged), isStoreError('REPLICATION_DIVERGED'));
    assert.equal(copy.commitLogMaxOffset, 0);
    assert.equal(copy.maxQueueOffset('orders', 0), 0);
  });
});

test('replicated append: a stream that does not start at the log end is refused (REPLICATION_DIVERGED)', async () => {
  await withStores(async (master, copy) => {
    await master.append({ topic: 'orders', queueId: 0, body: Buffer.from('one') });
    const first = master.commitLogMaxOffset;
    await master.append({ topic: 'orders', queueId: 0, body: Buffer.from('two') });
    const second = master.encodedFrom(first, CHUNK_BYTES_MAX)!;
    await assert.rejects(copy.appendReplicated(first, Buffer.from(second.bytes)), isStoreError('REPLICATION_DIVERGED'));
    second.release();
    assert.equal(copy.commitLogMaxOffset, 0);
  });
});

test('replicated append: a read-only replica refuses local appends (REPLICA_READ_ONLY) but takes its master records', async () => {
  await withStores(async (master, copy) => {
    copy.setReadOnly(true);
    await assert.rejects(
      copy.append({ topic: 'orders', queueId: 0, body: Buffer.from('x') }),
      isStoreError('REPLICA_READ_ONLY'),
    );
    await master.append({ topic: 'orders', queueId: 0, body: Buffer.from('y') });
    await replicate(master, copy);
    assert.equal(copy.read('orders', 0, 0, 1).messages[0]?.body.toString(), 'y');
  });
});

test.run();
