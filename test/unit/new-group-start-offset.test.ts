// RocketMQ 4.x's answer to QUERY_CONSUMER_OFFSET for a group with no committed offset
// (broker/processors/new-group-start-offset.ts), on a real store: offset 0 while the queue starts at 0
// and its first message is within the in-memory window of the log's end (or it has none),
// no offset once that message is further behind or retention has moved the queue's start.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { newGroupStartOffset } from '../../broker/processors/new-group-start-offset.js';
import { MessageStore, type MessageStoreOptions } from '../../storage/index.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const SEGMENT_BYTES = 64 * 1024;
const HOUR_MS = 3_600_000;
const START_MS = Date.UTC(2026, 0, 2, 3, 4);
const BALLAST_BODY_BYTES = 8 * 1024;

async function withStore(
  label: string,
  run: (store: MessageStore, clock: { now: number }) => Promise<void>,
): Promise<void> {
  const directory = temporaryDirectory(label);
  const clock = { now: START_MS };
  const options: MessageStoreOptions = {
    segmentBytes: SEGMENT_BYTES,
    retentionHours: 1,
    retentionCheckIntervalMs: HOUR_MS,
    clock: () => clock.now,
  };
  const store = await MessageStore.open(directory.path, options);
  try {
    await run(store, clock);
  } finally {
    await store.close();
    directory.remove();
  }
}

async function ballast(store: MessageStore, bytes: number): Promise<void> {
  for (let written = 0; written < bytes; written += BALLAST_BODY_BYTES) {
    await store.append({ topic: 'ballast', queueId: 0, body: Buffer.alloc(BALLAST_BODY_BYTES) });
  }
}

test('new group start: a young queue answers 0, so a group started after the first send (consuming from LAST) still gets it', async () => {
  await withStore('new-group-young', async (store) => {
    assert.equal(newGroupStartOffset(store, 'young', 0, 1024 * 1024), 0, 'a queue with no message yet');
    await store.append({ topic: 'young', queueId: 0, body: Buffer.from('first') });
    await ballast(store, 32 * 1024);
    assert.equal(newGroupStartOffset(store, 'young', 0, 1024 * 1024), 0, 'the first message is in memory');
  });
});

test('new group start: a queue whose first message is past the in-memory window answers no offset (QUERY_NOT_FOUND)', async () => {
  await withStore('new-group-old', async (store) => {
    await store.append({ topic: 'old', queueId: 0, body: Buffer.from('first') });
    const window = 16 * 1024;
    assert.equal(newGroupStartOffset(store, 'old', 0, window), 0, 'within the window at first');
    await ballast(store, window + BALLAST_BODY_BYTES);
    assert.equal(newGroupStartOffset(store, 'old', 0, window), undefined, 'only on disk now');
    assert.equal(newGroupStartOffset(store, 'old', 0, 0), undefined, 'a window of 0 bytes holds nothing stored');
    assert.equal(newGroupStartOffset(store, 'old', 1, 0), 0, 'an empty queue of the same topic still answers 0');
  });
});

test('new group start: a queue whose start retention moved past 0 answers no offset (QUERY_NOT_FOUND)', async () => {
  await withStore('new-group-retained', async (store, clock) => {
    await store.append({ topic: 'retained', queueId: 0, body: Buffer.from('first') });
    await ballast(store, 2 * SEGMENT_BYTES);
    clock.now += 2 * HOUR_MS;
    await ballast(store, SEGMENT_BYTES);
    await store.append({ topic: 'retained', queueId: 0, body: Buffer.from('second') });
    assert.ok(store.runRetention() > 0, 'old segments deleted');
    assert.ok(store.minQueueOffset('retained', 0) > 0, "retention moved the queue's start");
    const everything = Number.MAX_SAFE_INTEGER;
    assert.equal(newGroupStartOffset(store, 'retained', 0, everything), undefined);
  });
});

test.run();
