// Retention with an injected clock and 64 KiB segments. What is tested:
//   - runRetention() deletes the oldest segments once the first record of the following
//     segment is older than retentionHours (so every record of the deleted one is), oldest
//     first, never the newest segment; consume queue and index files below the new log start
//     go with them;
//   - retained data keeps reading back by queue offset, commit log offset, msgId and key,
//     deleted data is not returned, minQueueOffset moves up to the first retained message and
//     a read below it gives 'offset_too_small' with nextQueueOffset = min;
//   - a deleted segment a reader holds (MappedFile.hold(), reached through the store's
//     internals, since StoredMessage views take no hold) stays mapped, and views into it stay
//     readable, until release(); a segment nobody holds is unmapped at once, and views into it
//     then throw; a hold never released is forced after segmentReleaseTimeoutMs;
//   - a retentionFloor keeps the segment holding the floor and everything after it;
//   - the background pass (retentionCheckIntervalMs) deletes on its own;
//   - reopening after retention keeps the log start and queue minimums, and appends continue.
// Every test runs on the real disk and on the simulated file system.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'uvu';

import { MessageStore, type MessageInput, type MessageStoreOptions, type StoredMessage } from '../../storage/index.js';
import type { CommitLog } from '../../storage/commit-log.js';
import { INDEX_HEADER_LAYOUT } from '../../storage/index-file.js';
import type { MappedFile } from '../../storage/mapped-file.js';
import { CONSUME_QUEUE_ENTRY_BYTES } from '../../storage/storage-constants.js';
import {
  appendAll,
  appendOne,
  assertFoundById,
  assertFoundByKey,
  assertQueue,
  assertReadAt,
  byQueue,
  keyHolders,
  type AppendedMessage,
} from '../support/appended-messages.js';
import { seededRandom, type SeededRandom } from '../support/seeded-random.js';
import { testVolume, VOLUME_KINDS, type TestVolume } from '../support/test-volume.js';

const SEGMENT_BYTES = 64 * 1024;
const RETENTION_HOURS = 1;
const HOUR_MS = 3_600_000;
const RELEASE_TIMEOUT_MS = 60_000;
const TOPICS = ['retention-a', 'retention-b'];
const QUEUES_PER_TOPIC = 4;
const START_MS = Date.UTC(2024, 2, 3, 4, 5);
const WAIT_LIMIT_MS = 10_000;

interface Clock {
  now: number;
}

function storeOptions(volume: TestVolume, clock: Clock, extra?: MessageStoreOptions): MessageStoreOptions {
  return {
    ...volume.storeOptions,
    segmentBytes: SEGMENT_BYTES,
    consumeQueueEntriesPerFile: 16,
    indexSlotCount: 64,
    indexEntryCount: 256,
    retentionHours: RETENTION_HOURS,
    retentionCheckIntervalMs: 3_600_000,
    segmentReleaseTimeoutMs: RELEASE_TIMEOUT_MS,
    clock: () => clock.now,
    ...extra,
  };
}

function randomMessage(random: SeededRandom): MessageInput {
  const message: MessageInput = {
    topic: random.pick(TOPICS),
    queueId: random.int(QUEUES_PER_TOPIC),
    body: random.bytes(random.int(1025)),
  };
  if (random.next() < 0.5) message.tags = `t${random.int(4)}`;
  if (random.next() < 0.5) message.keys = [`shared-${random.int(10)}`, `own-${random.int(1e9)}`];
  return message;
}

/**
 * Appends `rounds` rounds of about 60 messages, advancing the clock `stepMs` before each, in
 * a mix of append and appendBatch.
 */
async function fill(
  store: MessageStore,
  random: SeededRandom,
  clock: Clock,
  rounds: number,
  stepMs: number,
): Promise<AppendedMessage[]> {
  const appended: AppendedMessage[] = [];
  for (let round = 0; round < rounds; round++) {
    clock.now += stepMs;
    let left = random.between(40, 80);
    while (left > 0) {
      const count = Math.min(left, random.between(1, 12));
      if (count === 1) appended.push(await appendOne(store, randomMessage(random)));
      else
        appended.push(
          ...(await appendAll(
            store,
            Array.from({ length: count }, () => randomMessage(random)),
          )),
        );
      left -= count;
    }
  }
  return appended;
}

function segmentOf(offset: number): number {
  return offset - (offset % SEGMENT_BYTES);
}

/**
 * The log start after one retention pass at `now`, from the appended records: segments go
 * oldest first while the next segment's first record is at least the retention period old and
 * the segment ends at or below the floor; the newest segment always stays.
 */
function expectedLogStart(
  appended: readonly AppendedMessage[],
  currentStart: number,
  now: number,
  floor = Infinity,
): number {
  const firstTimestamp = new Map<number, number>();
  for (const { result } of [...appended].sort((a, b) => a.result.commitLogOffset - b.result.commitLogOffset)) {
    const segment = segmentOf(result.commitLogOffset);
    if (!firstTimestamp.has(segment)) firstTimestamp.set(segment, result.storeTimestamp);
  }
  const segments = [...firstTimestamp.keys()].filter((start) => start >= currentStart).sort((a, b) => a - b);
  let start = currentStart;
  for (let i = 0; i + 1 < segments.length; i++) {
    const old = now - firstTimestamp.get(segments[i + 1]!)! >= RETENTION_HOURS * HOUR_MS;
    if (!old || segments[i]! + SEGMENT_BYTES > floor) break;
    start = segments[i + 1]!;
  }
  return start;
}

function segmentFiles(volume: TestVolume): number[] {
  return volume
    .list('commitlog')
    .map(Number)
    .sort((a, b) => a - b);
}

/** Everything the store must hold when the log starts at `logStart`. */
function assertRetained(
  store: MessageStore,
  appended: readonly AppendedMessage[],
  logStart: number,
  random: SeededRandom,
  context: string,
): void {
  for (const queue of byQueue(appended).values()) {
    assertQueue(store, queue, random, { context, logMin: logStart, pageMax: 16 });
  }
  assertReadAt(store, appended, context, logStart);
  const kept = appended.filter((m) => m.result.commitLogOffset >= logStart);
  for (const message of kept) assertFoundById(store, message, context);
  for (const message of appended) {
    if (message.result.commitLogOffset < logStart) {
      assert.deepEqual(
        store.queryByKey(message.input.topic, message.result.msgId),
        [],
        `${context}: deleted msgId found`,
      );
    }
  }
  const keptHolders = keyHolders(kept);
  for (const name of keyHolders(appended).keys()) {
    const [topic, key] = name.split(' ') as [string, string];
    assertFoundByKey(store, topic, key, keptHolders.get(name) ?? [], context);
  }
}

/** Consume queue and index files wholly below the log start are gone. */
function assertDerivedFilesFollow(store: MessageStore, volume: TestVolume, logStart: number, context: string): void {
  for (const topic of TOPICS) {
    for (let queueId = 0; queueId < QUEUES_PER_TOPIC; queueId++) {
      const files = volume
        .list(path.join('consumequeue', topic, String(queueId)))
        .map(Number)
        .sort((a, b) => a - b);
      const min = store.minQueueOffset(topic, queueId) * CONSUME_QUEUE_ENTRY_BYTES;
      if (files.length > 1) {
        assert.ok(files[0]! <= min && min < files[1]!, `${context}: ${topic}/${queueId} first queue file holds min`);
      }
    }
  }
  const indexFiles = volume.list('index');
  for (const name of indexFiles.slice(0, -1)) {
    const endOffset = Number(volume.readFile(path.join('index', name)).readBigInt64BE(INDEX_HEADER_LAYOUT.endOffset));
    assert.ok(endOffset > logStart, `${context}: index file ${name} ends at ${endOffset}, below the log start`);
  }
}

function segmentsOf(store: MessageStore): MappedFile[] {
  return (store as unknown as { commitLog: CommitLog }).commitLog.files.files;
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + WAIT_LIMIT_MS;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

for (const kind of VOLUME_KINDS) {
  test(`[${kind}] retention: old segments deleted oldest first and never the newest; retained data reads back by queue offset, offset and key; reads below min give offset_too_small; reopen keeps it (64 KiB segments, 1 h retention)`, async () => {
    const random = seededRandom(`[${kind}] retention basics`);
    const volume = testVolume(kind, 'retention');
    const clock = { now: START_MS };
    const options = storeOptions(volume, clock);
    let store = await MessageStore.open(volume.path, options);
    try {
      // Two hours of messages, a round every 5 minutes: a segment holds about 1.5 rounds.
      const appended = await fill(store, random, clock, 24, 5 * 60_000);
      const segments = store.stats().segments;
      assert.ok(segments >= 12, `only ${segments} segments`);

      // Seen from half an hour after the start, no segment is old enough.
      clock.now = START_MS + 30 * 60_000;
      assert.equal(store.runRetention(), 0, 'nothing older than the retention period');
      assert.equal(store.stats().minOffset, 0);

      clock.now = START_MS + 2 * HOUR_MS + 60_000;
      let logStart = expectedLogStart(appended, 0, clock.now);
      assert.ok(logStart > 0 && logStart < segmentOf(store.stats().maxOffset), 'the pass deletes some but not all');
      assert.equal(store.runRetention(), logStart / SEGMENT_BYTES, 'segments deleted');
      assert.equal(store.stats().minOffset, logStart);
      assert.equal(segmentFiles(volume)[0], logStart, 'segment files below the log start are gone');
      assertRetained(store, appended, logStart, random, 'after the first pass');
      assertDerivedFilesFollow(store, volume, logStart, 'after the first pass');
      assert.equal(store.runRetention(), 0, 'a second pass at the same time deletes nothing');

      // Far in the future every segment is old: all go but the newest.
      clock.now += 1000 * HOUR_MS;
      const newest = segmentOf(store.stats().maxOffset);
      assert.equal(store.runRetention(), (newest - logStart) / SEGMENT_BYTES);
      logStart = newest;
      assert.equal(store.stats().segments, 1, 'the newest segment stays');
      assert.equal(store.stats().minOffset, newest);
      assertRetained(store, appended, logStart, random, 'with only the newest segment');
      assertDerivedFilesFollow(store, volume, logStart, 'with only the newest segment');
      assert.equal(store.runRetention(), 0, 'the newest segment is never deleted');

      // Appends continue the queues' offsets and later messages read back.
      const more = await fill(store, random, clock, 3, 1000);
      const all = [...appended, ...more];
      assertRetained(store, all, logStart, random, 'after more appends');
      const minimums = new Map(
        [...byQueue(all).keys()].map((name) => {
          const [topic, queueId] = name.split('/') as [string, string];
          return [name, store.minQueueOffset(topic, Number(queueId))];
        }),
      );
      const end = store.stats().maxOffset;
      await store.close();

      store = await MessageStore.open(volume.path, options);
      assert.equal(store.recovery.logEnd, end);
      assert.equal(store.stats().minOffset, logStart, 'the log start survives a reopen');
      for (const [name, min] of minimums) {
        const [topic, queueId] = name.split('/') as [string, string];
        assert.equal(store.minQueueOffset(topic, Number(queueId)), min, `${name}: minQueueOffset after reopen`);
      }
      assertRetained(store, all, logStart, random, 'after reopen');
      const last = await fill(store, random, clock, 1, 1000);
      assertRetained(store, [...all, ...last], logStart, random, 'appends after reopen');
    } finally {
      await store.close();
      volume.remove();
    }
  });

  test(`[${kind}] retention: a deleted segment a reader holds stays mapped (views readable) until release; unheld ones are unmapped at once; a hold is forced after segmentReleaseTimeoutMs (64 KiB segments)`, async () => {
    const random = seededRandom(`[${kind}] retention holds`);
    const volume = testVolume(kind, 'retention-hold');
    const clock = { now: START_MS };
    let floor = Infinity;
    const store = await MessageStore.open(volume.path, storeOptions(volume, clock, { retentionFloor: () => floor }));
    try {
      const appended = await fill(store, random, clock, 14, 1000);
      assert.ok(store.stats().segments >= 5);
      const [held, unheld, heldForever] = segmentsOf(store) as [MappedFile, MappedFile, MappedFile];
      const inSegment = (file: MappedFile): AppendedMessage =>
        appended.find((m) => segmentOf(m.result.commitLogOffset) === file.fromOffset && m.input.body.length > 0)!;
      const views = new Map<MappedFile, { view: StoredMessage; body: Buffer }>();
      for (const file of [held, unheld, heldForever]) {
        const message = inSegment(file);
        views.set(file, { view: store.readAt(message.result.commitLogOffset)!, body: Buffer.from(message.input.body) });
      }
      assert.ok(held.hold(), 'a live segment can be held');

      // Delete the first two segments only: the floor keeps the third.
      floor = heldForever.fromOffset;
      clock.now += 1000 * HOUR_MS;
      assert.equal(store.runRetention(), 2, 'the two segments below the floor are deleted');
      assert.equal(store.stats().minOffset, heldForever.fromOffset);
      assert.equal(held.state, 'deleting', 'held: deleted but still mapped');
      assert.equal(volume.exists(held.path), false, 'held: its file is unlinked at once');
      assert.ok(views.get(held)!.view.body.equals(views.get(held)!.body), 'held: views stay readable');
      assert.equal(held.hold(), false, 'a deleting segment takes no new holds');
      const heldOffset = views.get(held)!.view.commitLogOffset;
      assert.equal(store.readAt(heldOffset), undefined, 'held: no longer readable through the store');
      await waitFor(() => unheld.state === 'released', 'the unheld segment to be unmapped');
      assert.throws(() => views.get(unheld)!.view.body, 'unheld: a view into an unmapped segment throws');

      held.release();
      await waitFor(() => held.state === 'released', 'the held segment to be unmapped after release');
      assert.throws(() => views.get(held)!.view.body, 'held: views throw once released');

      // A hold never released is forced after segmentReleaseTimeoutMs of the store clock.
      assert.ok(heldForever.hold());
      floor = Infinity;
      assert.ok(store.runRetention() >= 1);
      assert.equal(heldForever.state, 'deleting');
      clock.now += RELEASE_TIMEOUT_MS - 1;
      store.runRetention();
      assert.equal(heldForever.state, 'deleting', 'not forced before the timeout');
      assert.ok(views.get(heldForever)!.view.body.equals(views.get(heldForever)!.body));
      clock.now += 1;
      store.runRetention();
      await waitFor(() => heldForever.state === 'released', 'the forced release');
      assert.equal(heldForever.holderCount, 0);
      assert.throws(() => views.get(heldForever)!.view.body, 'forced: views throw');
    } finally {
      await store.close();
      volume.remove();
    }
  });

  test(`[${kind}] retention: a retentionFloor keeps the segment holding the floor and all after it; raising it lets retention go on (64 KiB segments)`, async () => {
    const random = seededRandom(`[${kind}] retention floor`);
    const volume = testVolume(kind, 'retention-floor');
    const clock = { now: START_MS };
    let floor = 0;
    const store = await MessageStore.open(volume.path, storeOptions(volume, clock, { retentionFloor: () => floor }));
    try {
      const appended = await fill(store, random, clock, 18, 1000);
      const segments = store.stats().segments;
      assert.ok(segments >= 7, `only ${segments} segments`);
      clock.now += 1000 * HOUR_MS;

      assert.equal(store.runRetention(), 0, 'a floor at 0 keeps everything');
      let logStart = 0;
      for (const target of [
        // Inside the fourth segment: the first three go.
        appended.find((m) => m.result.commitLogOffset > 3 * SEGMENT_BYTES)!.result.commitLogOffset,
        // Exactly at a segment start: that segment stays.
        5 * SEGMENT_BYTES,
        // No floor any more: all but the newest.
        Infinity,
      ]) {
        floor = target;
        const expected = expectedLogStart(appended, logStart, clock.now, floor);
        assert.equal(store.runRetention(), (expected - logStart) / SEGMENT_BYTES, `deleted with the floor at ${floor}`);
        logStart = expected;
        assert.equal(store.stats().minOffset, logStart);
        if (Number.isFinite(floor)) assert.equal(logStart, segmentOf(floor), 'the segment holding the floor stays');
        assertRetained(store, appended, logStart, random, `floor at ${floor}`);
      }
      assert.equal(store.stats().segments, 1);
    } finally {
      await store.close();
      volume.remove();
    }
  });

  test(`[${kind}] retention: the background pass deletes old segments every retentionCheckIntervalMs without a runRetention call (64 KiB segments)`, async () => {
    const random = seededRandom(`[${kind}] retention background`);
    const volume = testVolume(kind, 'retention-background');
    const clock = { now: START_MS };
    const store = await MessageStore.open(volume.path, storeOptions(volume, clock, { retentionCheckIntervalMs: 10 }));
    try {
      const appended = await fill(store, random, clock, 6, 1000);
      assert.ok(store.stats().segments >= 3);
      clock.now += 1000 * HOUR_MS;
      const newest = segmentOf(store.stats().maxOffset);
      await waitFor(() => store.stats().minOffset === newest, 'the background retention pass');
      assertRetained(store, appended, newest, random, 'after the background pass');
    } finally {
      await store.close();
      volume.remove();
    }
  });
}

test.run();
