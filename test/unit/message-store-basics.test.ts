import assert from 'node:assert/strict';
import { test } from 'uvu';

import { MessageStore } from '../../storage/index.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

test('message-store: an appended message reads back by queue offset, offset and key', async () => {
  const directory = temporaryDirectory('basics');
  const store = await MessageStore.open(directory.path, {
    segmentBytes: 1 << 20,
    indexSlotCount: 1024,
    indexEntryCount: 4096,
  });
  try {
    const result = await store.append({
      topic: 'orders',
      queueId: 3,
      body: Buffer.from('paid'),
      tags: 'paid',
      keys: ['o-17'],
    });
    const read = store.read('orders', 3, 0, 10);
    assert.equal(read.status, 'found');
    assert.equal(read.messages.length, 1);
    assert.equal(read.messages[0]!.body.toString(), 'paid');
    assert.equal(store.readAt(result.commitLogOffset)?.msgId, result.msgId);
    assert.equal(store.queryByKey('orders', 'o-17')[0]?.commitLogOffset, result.commitLogOffset);
    assert.equal(store.queryByKey('orders', result.msgId)[0]?.tags, 'paid');
  } finally {
    await store.close();
    directory.remove();
  }
});

test.run();
