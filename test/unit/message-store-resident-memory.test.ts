// A sealed, flushed commit log segment (and a full index file) leaves the process's resident
// set (MADV_DONTNEED) and still reads back; a refused drop is counted, not thrown, and loses
// nothing. A consume queue's reserved pages are faulted in ahead of its writer.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';

import { MessageStore } from '../../storage/index.js';
import { SimulatedFileSystem } from '../../storage/simulated-file-system.js';
import { seededRandom } from '../support/seeded-random.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const SEGMENT_BYTES = 1 << 20;
const BODY_BYTES = 4000;
/** Enough records for three full segments and part of a fourth. */
const MESSAGES = Math.ceil((3.5 * SEGMENT_BYTES) / BODY_BYTES);
/** Index files of 256 entries: each message has a key, so the index rolls several times. */
const INDEX_OPTIONS = { indexSlotCount: 64, indexEntryCount: 256 };

const QUEUE_PREFAULT_ENTRIES = 8000;
const QUEUE_RESERVED_KILOBYTES = 256;
const QUEUE_PREFAULT_WAIT_MS = 5000;

const bodyOf = (i: number): Buffer => Buffer.alloc(BODY_BYTES, i % 251);

/** Resident kB of each mapping of a file under `directory`, by file name, from /proc/self/smaps. */
function residentKilobytes(directory: string): Map<string, number> {
  const resident = new Map<string, number>();
  let current: string | undefined;
  for (const line of fs.readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    // A mapping's header line; anonymous mappings have no path and belong to no file.
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping !== null) {
      const file = mapping[1]!;
      current = file.startsWith(directory + path.sep) ? path.basename(file) : undefined;
    } else if (current !== undefined && line.startsWith('Rss:')) {
      resident.set(current, (resident.get(current) ?? 0) + Number(/\d+/.exec(line)![0]));
    }
  }
  return resident;
}

async function appendAll(store: MessageStore): Promise<void> {
  for (let i = 0; i < MESSAGES; i += 16) {
    const count = Math.min(16, MESSAGES - i);
    await store.appendBatch(
      Array.from({ length: count }, (_, j) => ({ topic: 't', queueId: 0, body: bodyOf(i + j), keys: `k-${i + j}` })),
    );
  }
}

function assertAllReadBack(store: MessageStore): void {
  for (let i = 0; i < MESSAGES; i += 100) {
    const read = store.read('t', 0, i, 100);
    assert.equal(read.status, 'found');
    read.messages.forEach((message, j) => assert.ok(message.body.equals(bodyOf(i + j)), `message ${i + j}`));
  }
  // The index's dropped files still answer key queries.
  for (const i of [0, 300, MESSAGES - 1])
    assert.equal(store.queryByKey('t', `k-${i}`)[0]?.body.equals(bodyOf(i)), true);
}

test('resident memory: sealed flushed segments leave the resident set and read back from the page cache', async () => {
  if (!fs.existsSync('/proc/self/smaps')) return;
  const directory = temporaryDirectory('resident-drop');
  const store = await MessageStore.open(directory.path, {
    segmentBytes: SEGMENT_BYTES,
    flush: 'sync',
    ...INDEX_OPTIONS,
  });
  try {
    await appendAll(store);
    await store.flush();
    const segments = path.join(directory.path, 'commitlog');
    const before = residentKilobytes(segments);
    const names = [...before.keys()].sort();
    assert.ok(names.length >= 4, `segments mapped: ${names.join(', ')}`);
    // Every segment but the active one was sealed and flushed: none of its pages resident.
    for (const name of names.slice(0, 3)) assert.equal(before.get(name), 0, `segment ${name} resident`);
    assert.ok(before.get(names[3]!)! > 0, 'the active segment stays resident');
    const indexFiles = [...residentKilobytes(path.join(directory.path, 'index'))].sort(([a], [b]) =>
      a.localeCompare(b),
    );
    assert.ok(indexFiles.length >= 3, `index files mapped: ${indexFiles.length}`);
    for (const [name, kilobytes] of indexFiles.slice(0, -1)) assert.equal(kilobytes, 0, `index file ${name} resident`);
    assertAllReadBack(store);
    assert.ok(residentKilobytes(segments).get(names[0]!)! > 0, 'reading the first segment faulted it back in');
    assert.equal(store.stats().residentDropFailures, 0);
  } finally {
    await store.close();
    directory.remove();
  }
});

test("resident memory: a consume queue's reserved pages are faulted in ahead of its writer", async () => {
  if (!fs.existsSync('/proc/self/smaps')) return;
  const directory = temporaryDirectory('queue-prefault');
  const store = await MessageStore.open(directory.path, { segmentBytes: SEGMENT_BYTES });
  try {
    // 8,000 entries of 20 bytes: 160,000 bytes written (40 pages); 256 KiB reserved in doubling
    // steps, of which the last two (64 and 128 KiB) are faulted in ahead.
    for (let i = 0; i < QUEUE_PREFAULT_ENTRIES; i += 100) {
      await store.appendBatch(Array.from({ length: 100 }, () => ({ topic: 'q', queueId: 0, body: bodyOf(i) })));
    }
    const queue = path.join(directory.path, 'consumequeue', 'q', '0');
    const resident = (): number => [...residentKilobytes(queue).values()].reduce((sum, kb) => sum + kb, 0);
    // The prefault runs on a pool thread: wait for it rather than for a fixed time.
    const deadline = Date.now() + QUEUE_PREFAULT_WAIT_MS;
    while (resident() < QUEUE_RESERVED_KILOBYTES && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(
      resident(),
      QUEUE_RESERVED_KILOBYTES,
      'the reserved 256 KiB are resident, not only the 40 written pages',
    );
    assert.equal(store.stats().writePrefaultFailures, 0);
  } finally {
    await store.close();
    directory.remove();
  }
});

test('resident memory: a refused drop (madvise EINVAL) is counted, and every message still reads back', async () => {
  const random = seededRandom('resident drop refused');
  const fileSystem = new SimulatedFileSystem(() => random.next(), { adviseFailure: 1 });
  const store = await MessageStore.open('/simulated/resident', {
    fileSystem,
    segmentBytes: SEGMENT_BYTES,
    flush: 'sync',
    ...INDEX_OPTIONS,
  });
  try {
    await appendAll(store);
    await store.flush();
    assertAllReadBack(store);
    const indexFiles = fileSystem.list('/simulated/resident/index').length;
    // One failure per sealed segment and per full index file (all but the newest), each tried once.
    assert.equal(store.stats().residentDropFailures, 3 + indexFiles - 1);
  } finally {
    await store.close();
  }
});

test.run();
