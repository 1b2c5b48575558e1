// Segment and size boundaries of the commit log, with 64 KiB segments: a record that exactly
// fills a segment, one a few bytes too long for the space left (the blank marker), the largest
// body and the largest record the store accepts, and all of it again after close and reopen.
// Every test runs on the real disk and on the simulated file system.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'uvu';

import { MessageStore, StoreError, type AppendResult, type MessageStoreOptions } from '../../storage/index.js';
import { recordBytes } from '../../storage/message-record.js';
import { SegmentFileName } from '../../storage/segment-file-name.js';
import { seededRandom, type SeededRandom } from '../support/seeded-random.js';
import { testVolume, VOLUME_KINDS, type TestVolume } from '../support/test-volume.js';

const SEGMENT_BYTES = 64 * 1024;
const TOPIC = 'edge';
/** These messages carry no property: the store adds none of its own. */
const PROPERTIES_BYTES = 0;
const OPTIONS: MessageStoreOptions = {
  segmentBytes: SEGMENT_BYTES,
  indexSlotCount: 64,
  indexEntryCount: 256,
  consumeQueueEntriesPerFile: 1024,
};
const MAGIC_MESSAGE_V1 = 0xdaa320a7;
const MAGIC_BLANK = 0xcbd43194;

/** OPTIONS, plus `extra`, on `volume`'s file system. */
function optionsFor(volume: TestVolume, extra?: MessageStoreOptions): MessageStoreOptions {
  return { ...OPTIONS, ...extra, ...volume.storeOptions };
}

/** Record size of a message to TOPIC with a body of `bodyBytes`. */
function sizeOf(bodyBytes: number): number {
  return recordBytes(bodyBytes, TOPIC.length, PROPERTIES_BYTES);
}

/** The body length that makes a record exactly `size` bytes. */
function bodyFor(size: number): number {
  return size - sizeOf(0);
}

function segmentFile(volume: TestVolume, fromOffset: number): Buffer {
  return volume.readFile(path.join('commitlog', SegmentFileName.format(fromOffset)));
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof StoreError, `expected a StoreError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

/** Appends bodies in order and keeps them for readBack. */
class Writer {
  readonly bodies: Buffer[] = [];
  readonly results: AppendResult[] = [];

  constructor(private readonly random: SeededRandom) {}

  async append(store: MessageStore, bodyBytes: number): Promise<AppendResult> {
    const body = this.random.bytes(bodyBytes);
    const result = await store.append({ topic: TOPIC, queueId: 0, body });
    this.bodies.push(body);
    this.results.push(result);
    return result;
  }

  /** Every body reads back byte-identical, by queue offset and by commit log offset. */
  readBack(store: MessageStore): void {
    const read = store.read(TOPIC, 0, 0, this.bodies.length + 1);
    assert.equal(read.status, 'found');
    assert.equal(read.maxQueueOffset, this.bodies.length);
    assert.equal(read.messages.length, this.bodies.length);
    read.messages.forEach((message, i) => {
      assert.ok(message.body.equals(this.bodies[i]!), `body ${i} differs`);
      assert.equal(message.commitLogOffset, this.results[i]!.commitLogOffset);
      assert.equal(message.queueOffset, i);
      assert.equal(store.readAt(this.results[i]!.commitLogOffset)?.msgId, this.results[i]!.msgId);
    });
  }
}

for (const kind of VOLUME_KINDS) {
  test(`[${kind}] message-store: a record that exactly fills the rest of a segment stays in it (segment=64KiB)`, async () => {
    const volume = testVolume(kind, 'boundaries-exact');
    const options = optionsFor(volume);
    const writer = new Writer(seededRandom(`[${kind}] boundaries exact fill`));
    let store = await MessageStore.open(volume.path, options);
    try {
      const first = await writer.append(store, 100);
      assert.equal(first.commitLogOffset, 0);
      assert.equal(store.readAt(0)?.totalSize, sizeOf(100), 'the record size formula matches the store');
      const left = SEGMENT_BYTES - sizeOf(100);
      const filling = await writer.append(store, bodyFor(left));
      assert.equal(filling.commitLogOffset, sizeOf(100), 'no blank marker before an exact fit');
      assert.equal(store.readAt(filling.commitLogOffset)?.totalSize, left);
      const next = await writer.append(store, 10);
      assert.equal(next.commitLogOffset, SEGMENT_BYTES, 'the next record starts the next segment at its first byte');
      await store.flush();
      const segment = segmentFile(volume, 0);
      assert.equal(segment.length, SEGMENT_BYTES);
      assert.equal(segment.readInt32BE(sizeOf(100)), left, 'TOTALSIZE of the filling record');
      assert.equal(segment.readUInt32BE(sizeOf(100) + 4), MAGIC_MESSAGE_V1);
      const nextSegment = segmentFile(volume, SEGMENT_BYTES);
      assert.equal(nextSegment.readInt32BE(0), sizeOf(10));
      assert.equal(nextSegment.readUInt32BE(4), MAGIC_MESSAGE_V1);
      writer.readBack(store);
      await store.close();
      store = await MessageStore.open(volume.path, options);
      writer.readBack(store);
      const after = await writer.append(store, 1);
      assert.equal(after.commitLogOffset, SEGMENT_BYTES + sizeOf(10));
      writer.readBack(store);
    } finally {
      await store.close();
      volume.remove();
    }
  });

  // `excess` is how much longer the record is than the space left in the segment. A record that
  // would leave 1 to 7 bytes behind it cannot be followed by an 8-byte blank marker, so it moves
  // to the next segment just like one that is too long.
  for (const excess of [1, -1, -7]) {
    test(`[${kind}] message-store: a record that does not fit the space left moves behind a blank marker (excess=${excess})`, async () => {
      const volume = testVolume(kind, 'boundaries-blank');
      const options = optionsFor(volume);
      const writer = new Writer(seededRandom(`[${kind}] boundaries blank excess=${excess}`));
      let store = await MessageStore.open(volume.path, options);
      try {
        await writer.append(store, 100);
        const position = sizeOf(100);
        const left = SEGMENT_BYTES - position;
        const moved = await writer.append(store, bodyFor(left + excess));
        assert.equal(moved.commitLogOffset, SEGMENT_BYTES, 'the record starts the next segment');
        await store.flush();
        const segment = segmentFile(volume, 0);
        assert.equal(segment.readInt32BE(position), left, 'blank TOTALSIZE = bytes left in the segment');
        assert.equal(segment.readUInt32BE(position + 4), MAGIC_BLANK, 'blank MAGICCODE');
        assert.ok(
          segment.subarray(position + 8).every((byte) => byte === 0),
          'nothing written after the marker',
        );
        const nextSegment = segmentFile(volume, SEGMENT_BYTES);
        assert.equal(nextSegment.readInt32BE(0), left + excess);
        assert.equal(nextSegment.readUInt32BE(4), MAGIC_MESSAGE_V1);
        assert.equal(store.readAt(position), undefined, 'a blank marker is not a message');
        writer.readBack(store);
        await store.close();
        store = await MessageStore.open(volume.path, options);
        writer.readBack(store);
        const after = await writer.append(store, 5);
        assert.equal(after.commitLogOffset, SEGMENT_BYTES + left + excess);
        writer.readBack(store);
      } finally {
        await store.close();
        volume.remove();
      }
    });
  }

  test(`[${kind}] message-store: a record leaving exactly 8 bytes stays and the next moves behind an 8-byte blank`, async () => {
    const volume = testVolume(kind, 'boundaries-eight');
    const options = optionsFor(volume);
    const writer = new Writer(seededRandom(`[${kind}] boundaries eight left`));
    let store = await MessageStore.open(volume.path, options);
    try {
      await writer.append(store, 100);
      const left = SEGMENT_BYTES - sizeOf(100);
      const stays = await writer.append(store, bodyFor(left - 8));
      assert.equal(stays.commitLogOffset, sizeOf(100));
      const moved = await writer.append(store, 0);
      assert.equal(moved.commitLogOffset, SEGMENT_BYTES);
      await store.flush();
      const segment = segmentFile(volume, 0);
      assert.equal(segment.readInt32BE(SEGMENT_BYTES - 8), 8);
      assert.equal(segment.readUInt32BE(SEGMENT_BYTES - 4), MAGIC_BLANK);
      await store.close();
      store = await MessageStore.open(volume.path, options);
      writer.readBack(store);
    } finally {
      await store.close();
      volume.remove();
    }
  });

  test(`[${kind}] message-store: a body of exactly maxMessageBytes is stored, one byte more is BODY_TOO_LARGE (max=8000)`, async () => {
    const volume = testVolume(kind, 'boundaries-max-body');
    const random = seededRandom(`[${kind}] boundaries max body`);
    const writer = new Writer(random);
    const options = optionsFor(volume, { maxMessageBytes: 8000 });
    let store = await MessageStore.open(volume.path, options);
    try {
      await writer.append(store, 8000);
      await expectCode(store.append({ topic: TOPIC, queueId: 0, body: random.bytes(8001) }), 'BODY_TOO_LARGE');
      await expectCode(store.appendBatch([{ topic: TOPIC, queueId: 0, body: random.bytes(8001) }]), 'BODY_TOO_LARGE');
      await writer.append(store, 7999);
      writer.readBack(store);
      await store.close();
      store = await MessageStore.open(volume.path, options);
      writer.readBack(store);
      await expectCode(store.append({ topic: TOPIC, queueId: 0, body: random.bytes(8001) }), 'BODY_TOO_LARGE');
      await writer.append(store, 8000);
      writer.readBack(store);
    } finally {
      await store.close();
      volume.remove();
    }
  });

  test(`[${kind}] message-store: a record that could never fit a segment is BODY_TOO_LARGE (size=64KiB+1, 64KiB-1, 64KiB-7)`, async () => {
    const volume = testVolume(kind, 'boundaries-never-fits');
    const options = optionsFor(volume);
    const random = seededRandom(`[${kind}] boundaries never fits`);
    const writer = new Writer(random);
    let store = await MessageStore.open(volume.path, options);
    const rejectAll = async (): Promise<void> => {
      const before = store.stats().maxOffset;
      for (const size of [SEGMENT_BYTES + 1, SEGMENT_BYTES - 1, SEGMENT_BYTES - 7]) {
        const body = random.bytes(bodyFor(size));
        await expectCode(store.append({ topic: TOPIC, queueId: 0, body }), 'BODY_TOO_LARGE');
        await expectCode(store.appendBatch([{ topic: TOPIC, queueId: 0, body }]), 'BODY_TOO_LARGE');
      }
      await expectCode(
        store.append({ topic: TOPIC, queueId: 0, body: Buffer.alloc(4 * 1024 * 1024) }),
        'BODY_TOO_LARGE',
      );
      assert.equal(store.stats().maxOffset, before, 'a rejected record writes nothing');
    };
    try {
      await writer.append(store, 100);
      await rejectAll();
      // The largest records that fit: a whole segment, and a segment minus room for a blank.
      const whole = await writer.append(store, bodyFor(SEGMENT_BYTES));
      assert.equal(whole.commitLogOffset, SEGMENT_BYTES);
      const almost = await writer.append(store, bodyFor(SEGMENT_BYTES - 8));
      assert.equal(almost.commitLogOffset, 2 * SEGMENT_BYTES);
      const small = await writer.append(store, 1);
      assert.equal(small.commitLogOffset, 3 * SEGMENT_BYTES);
      await rejectAll();
      writer.readBack(store);
      await store.close();
      store = await MessageStore.open(volume.path, options);
      writer.readBack(store);
      assert.equal(store.stats().maxOffset, 3 * SEGMENT_BYTES + sizeOf(1));
      await rejectAll();
      writer.readBack(store);
    } finally {
      await store.close();
      volume.remove();
    }
  });
}

test.run();
