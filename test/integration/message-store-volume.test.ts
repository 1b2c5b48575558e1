// Volume: a hundred thousand messages of random sizes, tags, keys and properties, spread over
// 4 topics x 8 queues with segments, consume queue files and index files small enough that
// each rolls many times. After a clean close and reopen, every message must read back
// byte-identical by queue offset, by commit log offset, by msgId and by each of its keys.
// Runs on the real disk and on the simulated file system; the latter keeps every file in memory
// (page cache and durable copy, plus a mapping's bytes), about 570 MB resident at 100k messages
// and 1.3 GB under SOAK, and takes about as long as the disk.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'uvu';

import { MessageStore, type MessageInput, type MessageStoreOptions } from '../../storage/index.js';
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
import { soakScale } from '../support/soak-scale.js';
import { testVolume, VOLUME_KINDS, type TestVolume, type VolumeKind } from '../support/test-volume.js';

const MESSAGE_COUNT = soakScale(100_000, 300_000);
const TOPICS = ['volume-orders', 'volume-audit', 'volume_payments', 'volume%retry|x'];
const QUEUES_PER_TOPIC = 8;
const BODY_BYTES_MAX = 2048;
const SEGMENT_BYTES = 256 * 1024;
const CONSUME_QUEUE_ENTRIES_PER_FILE = 512;
const INDEX_SLOT_COUNT = 4096;
const INDEX_ENTRY_COUNT = 10_000;
const BATCH_MAX = 64;
/** Keys drawn from this pool are shared by many messages (and topics). */
const SHARED_KEYS = 400;
const TAGS = ['TagA', 'TagB', 'tag with spaces', 'tåg-ünïcode', '*'];
const START_MS = Date.UTC(2024, 4, 17, 9, 30);

/** Bodies are slices of one seeded random pool: cheap to keep for 100k messages. */
function bodyPool(random: SeededRandom): Buffer {
  return random.bytes(1 << 20);
}

function randomMessage(random: SeededRandom, pool: Buffer, i: number): MessageInput {
  const length = random.next() < 0.02 ? 0 : random.int(BODY_BYTES_MAX + 1);
  const start = random.int(pool.length - length + 1);
  const message: MessageInput = {
    topic: random.pick(TOPICS),
    queueId: random.int(QUEUES_PER_TOPIC),
    body: pool.subarray(start, start + length),
  };
  if (random.next() < 0.5) message.tags = random.next() < 0.8 ? random.pick(TAGS) : `tag-${random.int(1000)}`;
  if (random.next() < 0.3) {
    const keys = Array.from({ length: random.between(1, 3) }, (_, k) =>
      random.next() < 0.3 ? `shared-${random.int(SHARED_KEYS)}` : `key-${i}-${k}`,
    );
    message.keys = random.next() < 0.5 ? keys : keys.join(' ');
  }
  if (random.next() < 0.2) {
    message.properties = { 'trace-id': random.bytes(8).toString('hex'), note: `é→${random.int(1e6)}` };
  }
  if (random.next() < 0.1) message.flag = random.int(2 ** 32) - 2 ** 31;
  return message;
}

/** Appends MESSAGE_COUNT messages in a seeded mix of append and appendBatch calls. */
async function fill(store: MessageStore, random: SeededRandom, clock: { now: number }): Promise<AppendedMessage[]> {
  const pool = bodyPool(random);
  const appended: AppendedMessage[] = [];
  while (appended.length < MESSAGE_COUNT) {
    clock.now += random.int(3);
    if (random.next() < 0.5) {
      appended.push(await appendOne(store, randomMessage(random, pool, appended.length)));
      continue;
    }
    const count = Math.min(random.between(1, BATCH_MAX), MESSAGE_COUNT - appended.length);
    const batch = Array.from({ length: count }, (_, k) => randomMessage(random, pool, appended.length + k));
    appended.push(...(await appendAll(store, batch)));
  }
  return appended;
}

function filesUnder(volume: TestVolume, directory: string): number {
  let count = 0;
  for (const name of volume.list(directory)) {
    const entry = path.join(directory, name);
    count += volume.isDirectory(entry) ? filesUnder(volume, entry) : 1;
  }
  return count;
}

/** searchQueueOffsetByTime must return the first offset stored at or after the time, else max. */
function assertTimeSearch(store: MessageStore, queue: readonly AppendedMessage[], random: SeededRandom): void {
  const { topic, queueId } = queue[0]!.input;
  const times = [START_MS - 1, queue.at(-1)!.result.storeTimestamp + 1];
  for (let i = 0; i < 40; i++) {
    const time = queue[random.int(queue.length)]!.result.storeTimestamp;
    times.push(time - 1, time, time + 1);
  }
  for (const time of times) {
    const first = queue.findIndex((message) => message.result.storeTimestamp >= time);
    const expected = first < 0 ? queue.length : first;
    assert.equal(store.searchQueueOffsetByTime(topic, queueId, time), expected, `${topic}/${queueId} at ${time}`);
  }
}

async function fillCloseReopenCheck(kind: VolumeKind): Promise<void> {
  const random = seededRandom(`[${kind}] volume`);
  const volume = testVolume(kind, 'volume');
  const clock = { now: START_MS };
  const options: MessageStoreOptions = {
    segmentBytes: SEGMENT_BYTES,
    consumeQueueEntriesPerFile: CONSUME_QUEUE_ENTRIES_PER_FILE,
    indexSlotCount: INDEX_SLOT_COUNT,
    indexEntryCount: INDEX_ENTRY_COUNT,
    clock: () => clock.now,
    ...volume.storeOptions,
  };
  let store = await MessageStore.open(volume.path, options);
  try {
    const started = performance.now();
    const appended = await fill(store, random, clock);
    const appendMs = performance.now() - started;
    const before = store.stats();
    // The live store first, by queue offset and by commit log offset.
    for (const queue of byQueue(appended).values()) assertQueue(store, queue, random, { context: 'before close' });
    assertReadAt(store, appended, 'before close');
    await store.close();

    // The small sizes must really have made every kind of file roll.
    assert.ok(before.segments >= 100, `only ${before.segments} segments`);
    const queueFiles = filesUnder(volume, 'consumequeue');
    assert.ok(queueFiles >= TOPICS.length * QUEUES_PER_TOPIC * 4, `only ${queueFiles} consume queue files`);
    const indexFiles = filesUnder(volume, 'index');
    assert.ok(indexFiles >= 5, `only ${indexFiles} index files`);

    store = await MessageStore.open(volume.path, options);
    assert.equal(store.recovery.clean, true);
    assert.equal(store.recovery.logEnd, before.maxOffset);
    assert.equal(store.recovery.invalidTail, undefined);
    assert.equal(store.recovery.damagedDurableData, false);
    assert.equal(store.recovery.rebuiltQueues, 0);

    const checked = performance.now();
    const queues = byQueue(appended);
    assert.equal(queues.size, TOPICS.length * QUEUES_PER_TOPIC);
    for (const queue of queues.values()) {
      assertQueue(store, queue, random, { context: 'after reopen' });
      assertTimeSearch(store, queue, random);
    }
    assertReadAt(store, appended, 'after reopen');
    for (const message of appended) assertFoundById(store, message, 'after reopen');
    const holders = keyHolders(appended);
    assert.ok(holders.size > 10_000, `only ${holders.size} distinct keys`);
    for (const [name, messages] of holders) {
      const [topic, key] = name.split(' ') as [string, string];
      assertFoundByKey(store, topic, key, messages, 'after reopen');
    }
    assert.deepEqual(store.queryByKey(TOPICS[0]!, 'no-such-key'), []);
    assert.equal(store.read('volume-none', 0, 0, 1).status, 'no_queue');
    console.log(
      `  volume [${kind}]: ${appended.length} messages, ${before.segments} segments, ${queueFiles} queue files, ` +
        `${indexFiles} index files; append ${appendMs.toFixed(0)} ms, check ${(performance.now() - checked).toFixed(0)} ms`,
    );
  } finally {
    await store.close();
    volume.remove();
  }
}

for (const kind of VOLUME_KINDS) {
  test(`[${kind}] volume: ${MESSAGE_COUNT} mixed-size messages read back byte-identical by queue offset and commit log offset, every msgId and every key found, after reopen (4 topics x 8 queues, 256 KiB segments)`, () =>
    fillCloseReopenCheck(kind));
}

test.run();
