import assert from 'node:assert/strict';
import { test } from 'uvu';

import { MessageStore } from '../../storage/index.js';
import { WRITE_PREFAULT_WINDOW_BYTES } from '../../storage/mapped-file.js';
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

for (const kind of VOLUME_KINDS) {
  test(`[${kind}] message-store: appends across write-prefault windows and segment ends read back, no prefault failing`, async () => {
    const volume = testVolume(kind, 'prefault');
    // Records of 16 KiB across two segments of 1.5 prefault windows: the window moves on
    // within a segment and is cut short at its end.
    const segmentBytes = (WRITE_PREFAULT_WINDOW_BYTES * 3) / 2;
    const store = await MessageStore.open(volume.path, { segmentBytes, ...volume.storeOptions });
    const body = (i: number): Buffer => Buffer.alloc(16 * 1024, i % 251);
    const count = 2_500;
    try {
      for (let i = 0; i < count; i += 50) {
        await store.appendBatch(Array.from({ length: 50 }, (_, j) => ({ topic: 't', queueId: 0, body: body(i + j) })));
      }
      for (let i = 0; i < count; i += 500) {
        const read = store.read('t', 0, i, 500);
        assert.equal(read.status, 'found');
        read.messages.forEach((message, j) => assert.ok(message.body.equals(body(i + j)), `message ${i + j}`));
      }
      assert.equal(store.stats().writePrefaultFailures, 0);
      assert.ok(store.stats().segments >= 2, 'the log rolled into a second segment');
    } finally {
      await store.close();
      volume.remove();
    }
  });
}

test('message-store: a batch read back lies as one run of records, broken where another queue or segment intervenes', async () => {
  const volume = testVolume('disk', 'runs');
  // Segments of 64 KiB hold about twenty 3 KiB records: the last batch crosses into the next.
  const store = await MessageStore.open(volume.path, { segmentBytes: 65536, ...volume.storeOptions });
  try {
    const batch = (queueId: number, count: number): Promise<unknown> =>
      store.appendBatch(
        Array.from({ length: count }, (_, i) => ({ topic: 'runs', queueId, body: Buffer.alloc(3000, i) })),
      );
    await batch(0, 5);
    await batch(1, 1);
    await batch(0, 4);
    await batch(0, 30);
    const { messages } = store.read('runs', 0, 0, 100);
    assert.equal(messages.length, 39);
    const breaks = messages.flatMap((message, i) => (i > 0 && !message.follows(messages[i - 1]!) ? [i] : []));
    assert.ok(breaks.includes(5), 'queue 1 lies between the first two batches');
    assert.ok(!breaks.includes(6) && !breaks.includes(10), 'records of one batch follow one another');
    const rolled = messages.findIndex((message, i) => i > 0 && !message.sharesSegment(messages[i - 1]!));
    assert.ok(rolled > 9, 'the last batch crosses into a new segment');
    assert.ok(breaks.includes(rolled), 'a run ends at a segment end');
    let start = 0;
    for (const end of [...breaks, messages.length]) {
      const run = messages.slice(start, end);
      const bytes = run.reduce((sum, message) => sum + message.totalSize, 0);
      assert.deepEqual(messages[start]!.rawRun(bytes), Buffer.concat(run.map((message) => message.raw)));
      start = end;
    }
  } finally {
    await store.close();
    volume.remove();
  }
});

test.run();
