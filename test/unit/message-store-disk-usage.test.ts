// Disk usage on a simulated disk of fixed size: past diskRetentionRatio retention deletes the
// oldest segments whatever their age; past diskFullRatio, or at a real ENOSPC, appends fail
// with DISK_FULL while everything stored stays readable, and they succeed again once space
// returns.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { MessageStore, SimulatedFileSystem, StoreError, type MessageStoreOptions } from '../../storage/index.js';
import { appendOne, assertReadAt, type AppendedMessage } from '../support/appended-messages.js';
import { seededRandom } from '../support/seeded-random.js';

const DIRECTORY = '/simulated/disk-usage';
const SEGMENT_BYTES = 64 * 1024;
const BODY_BYTES = 3000;
const OPTIONS: MessageStoreOptions = {
  segmentBytes: SEGMENT_BYTES,
  consumeQueueEntriesPerFile: 1024,
  indexSlotCount: 64,
  indexEntryCount: 256,
};

function simulatedDisk(label: string, capacityBytes: number): SimulatedFileSystem {
  const random = seededRandom(label);
  return new SimulatedFileSystem(() => random.next(), { capacityBytes });
}

function input(i: number): { topic: string; queueId: number; body: Buffer; keys: string } {
  return { topic: 'disk', queueId: i % 2, body: Buffer.alloc(BODY_BYTES, i % 251), keys: `k${i}` };
}

test('disk usage: past diskRetentionRatio the oldest segments go whatever their age, the newest stays', async () => {
  const fileSystem = simulatedDisk('disk retention', 2 * 1024 * 1024);
  const store = await MessageStore.open(DIRECTORY, { ...OPTIONS, fileSystem, diskRetentionRatio: 0.5 });
  try {
    const appended: AppendedMessage[] = [];
    for (let i = 0; fileSystem.usage(DIRECTORY).usedBytes < 1.2 * 1024 * 1024; i++) {
      appended.push(await appendOne(store, input(i)));
    }
    const segmentsBefore = store.stats().segments;
    const deleted = store.runRetention();
    const { minOffset, segments, diskUsedRatio } = store.stats();
    assert.ok(deleted > 0 && segments === segmentsBefore - deleted, `deleted ${deleted} of ${segmentsBefore}`);
    assert.ok(store.runRetention() === 0 || store.stats().diskUsedRatio >= 0.5, 'a second pass only if still full');
    const usage = fileSystem.usage(DIRECTORY);
    assert.ok(usage.usedBytes / (usage.usedBytes + usage.availableBytes) < 0.5, `still ${diskUsedRatio} full`);
    assert.ok(minOffset > 0, 'the log start moved');
    assertReadAt(store, appended, 'after disk retention', minOffset);
    assert.equal(store.read('disk', 0, 0, 1).status, 'offset_too_small', 'queues follow the log start');
  } finally {
    await store.close();
  }
});

test('disk usage: retention by disk usage never passes the retention floor', async () => {
  const fileSystem = simulatedDisk('disk retention floor', 1024 * 1024);
  const floor = 2 * SEGMENT_BYTES;
  const store = await MessageStore.open(DIRECTORY, {
    ...OPTIONS,
    fileSystem,
    diskRetentionRatio: 0.3,
    retentionFloor: () => floor,
  });
  try {
    for (let i = 0; fileSystem.usage(DIRECTORY).usedBytes < 600 * 1024; i++) await appendOne(store, input(i));
    store.runRetention();
    assert.equal(store.stats().minOffset, floor, 'segments holding data at or above the floor are kept');
  } finally {
    await store.close();
  }
});

test('disk usage: a full disk fails appends with DISK_FULL, keeps what is stored, and resumes when space returns', async () => {
  const fileSystem = simulatedDisk('disk full', 1024 * 1024);
  const store = await MessageStore.open(DIRECTORY, {
    ...OPTIONS,
    fileSystem,
    flush: 'sync',
    diskRetentionRatio: 1,
    diskFullRatio: 0.8,
  });
  try {
    const appended: AppendedMessage[] = [];
    let refusal: unknown;
    for (let i = 0; refusal === undefined; i++) {
      store.runRetention(); // samples usage, as the store's timer does every second
      try {
        appended.push(await appendOne(store, input(i)));
      } catch (error) {
        refusal = error;
      }
    }
    assert.ok(refusal instanceof StoreError && refusal.code === 'DISK_FULL', `refused with ${String(refusal)}`);
    assert.equal(refusal.retriable, true);
    await assert.rejects(
      store.appendBatch([input(1), input(2)]),
      (error) => (error as StoreError).code === 'DISK_FULL',
    );
    assertReadAt(store, appended, 'while the disk is full');
    fileSystem.faults = { capacityBytes: 4 * 1024 * 1024 };
    store.runRetention();
    appended.push(await appendOne(store, input(appended.length)));
    await store.close();
    const reopened = await MessageStore.open(DIRECTORY, { ...OPTIONS, fileSystem });
    try {
      assertReadAt(reopened, appended, 'after space returned and a reopen');
    } finally {
      await reopened.close();
    }
  } finally {
    await store.close();
  }
});

test.run();
