// The native record writer (appendBatch) against the JavaScript one (append): the same messages,
// appended one at a time into one store and in batches into another, must leave identical
// bytes in every commit log segment, consume queue file and index file. Shapes are drawn from a
// seed: topic lengths, properties (ASCII and multi-byte UTF-8), bodies from empty to past a
// segment's remaining room (blank markers), queue ids, half messages without a queue entry.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';

import { MessageStore, type MessageInput, type MessageStoreOptions } from '../../storage/index.js';
import { MESSAGE_SYS_FLAG } from '../../protocol/message-sys-flag.js';
import { nativeBinding } from '../../storage/native-binding.js';
import { ROW } from '../../storage/record-rows.js';
import { NATIVE_RECORD_WRITER_BATCH_MESSAGES_MIN } from '../../storage/storage-constants.js';
import { seededRandom, type SeededRandom } from '../support/seeded-random.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const SEGMENT_BYTES = 64 * 1024;
const MESSAGES = 1500;
const CLOCK_MS = 1_765_000_000_000;
const OPTIONS: MessageStoreOptions = {
  segmentBytes: SEGMENT_BYTES,
  consumeQueueEntriesPerFile: 64,
  indexSlotCount: 64,
  indexEntryCount: 4096,
  clock: () => CLOCK_MS,
  preheat: false,
};
const TOPICS = ['t', 'orders', 'a'.repeat(127), 'mixed_Case-9%|x'];
const TEXT = ['v', 'value-1', 'ünïcødé', '中文键', 'a b c', 'x'.repeat(300)];

function randomMessage(random: SeededRandom): MessageInput {
  const roll = random.int(100);
  // Mostly small bodies, some empty, some large enough to end a 64 KiB segment early.
  const bodyBytes = roll < 5 ? 0 : roll < 90 ? random.int(400) : random.between(8_000, 40_000);
  const message: MessageInput = {
    topic: random.pick(TOPICS),
    queueId: random.int(8),
    body: random.bytes(bodyBytes),
    flag: random.pick([0, 1, -7, 0x7fffffff]),
    bornTimestamp: random.pick([CLOCK_MS - 5, 0, 2 ** 52 + 3]),
    bornHost: `${random.int(256)}.${random.int(256)}.0.${random.int(256)}:${random.int(65536)}`,
    reconsumeTimes: random.int(20),
    preparedTransactionOffset: random.pick([0, 4096, 2 ** 40 + 1]),
    sysFlag: random.pick([0, 0, 0, MESSAGE_SYS_FLAG.transactionPrepared, MESSAGE_SYS_FLAG.compressed]),
  };
  const shape = random.int(4);
  if (shape === 1) message.tags = random.pick(TEXT);
  if (shape === 2) message.properties = { UNIQ_KEY: `id-${random.int(1e9)}`, note: random.pick(TEXT) };
  if (shape === 3) {
    message.keys = [random.pick(TEXT), `k${random.int(50)}`];
    message.tags = random.pick(TEXT);
  }
  return message;
}

/** Every file under the store's commit log, consume queue and index directories, by relative path. */
function storedFiles(directory: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const part of ['commitlog', 'consumequeue', 'index']) {
    const root = path.join(directory, part);
    for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath, entry.name);
      files.set(path.relative(directory, file), fs.readFileSync(file));
    }
  }
  return files;
}

test('appendBatch (native record writer) stores the same bytes as append (JavaScript) for random messages', async () => {
  const random = seededRandom('native record writer');
  const messages = Array.from({ length: MESSAGES }, () => randomMessage(random));
  const single = temporaryDirectory('record-writer-js');
  const batched = temporaryDirectory('record-writer-native');
  try {
    const one = await MessageStore.open(single.path, OPTIONS);
    const many = await MessageStore.open(batched.path, OPTIONS);
    for (const message of messages) await one.append(message);
    for (let at = 0; at < messages.length;) {
      const size = random.between(NATIVE_RECORD_WRITER_BATCH_MESSAGES_MIN, 200);
      await many.appendBatch(messages.slice(at, at + size));
      at += size;
    }
    assert.equal(many.commitLogMaxOffset, one.commitLogMaxOffset);
    await one.close();
    await many.close();
    const expected = storedFiles(single.path);
    const actual = storedFiles(batched.path);
    assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
    const segments = [...expected.keys()].filter((name) => name.startsWith('commitlog'));
    assert.ok(segments.length >= 4, `the messages span ${segments.length} segments: blank markers were written`);
    for (const [name, bytes] of expected) {
      assert.ok(actual.get(name)!.equals(bytes), `${name} differs`);
    }
  } finally {
    single.remove();
    batched.remove();
  }
});

test('writeRecords refuses a row outside its source before writing past it', () => {
  const segment = new ArrayBuffer(256);
  const rows = new Float64Array(64);
  rows[ROW.at] = 200; // a 91-byte record from 200 runs past the segment's 256 bytes
  rows[ROW.segment] = 0;
  rows[ROW.topicSource] = 0;
  rows[ROW.queueSource] = -1;
  assert.throws(() => nativeBinding.writeRecords([segment], rows, 1), RangeError);
  assert.deepEqual(new Uint8Array(segment), new Uint8Array(256));
  assert.throws(() => nativeBinding.writeRecords([segment], rows, 3), RangeError);
});

test.run();
