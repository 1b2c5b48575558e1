import assert from 'node:assert/strict';
import { test } from 'uvu';

import { MessageStore } from '../../storage/index.js';
import { testVolume, VOLUME_KINDS } from '../support/test-volume.js';

for (const kind of VOLUME_KINDS) {
  test(`[${kind}] message-store: an appended message reads back by queue offset, offset and key`, async () => {
    const volume = testVolume(kind, 'basics');
    const store = await MessageStore.open(volume.path, {
      segmentBytes: 1 << 20,
      indexSlotCount: 1024,
      indexEntryCount: 4096,
      ...volume.storeOptions,
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
      volume.remove();
    }
  });
}

test.run();
