// Golden bytes: every on-disk and id format encodes to exactly the checked-in fixture and decodes
// back. The fixtures in test/fixtures/<format>/<name>.v1.bin were checked field by field against
// the layout tables in the codecs; the "layout" tests below re-read them at literal offsets taken
// from those tables (never from the codecs' layout constants), so a codec that moved a field would
// fail here even if its encoder and decoder still agreed with each other.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';

import { Checkpoint, decodeCheckpoint, encodeCheckpoint, type CheckpointState } from '../../storage/checkpoint.js';
import { readConsumeQueueEntry, writeConsumeQueueEntry } from '../../storage/consume-queue.js';
import { IndexFile } from '../../storage/index-file.js';
import { javaStringHash } from '../../protocol/java-string-hash.js';
import {
  decodeMessageProperties,
  encodeMessageProperties,
  findProperty,
  isSoleUniqueKey,
  soleUniqueKey,
} from '../../protocol/message-properties-codec.js';
import {
  checkRecord,
  readRecord,
  recordBytes,
  sealRecord,
  writeBlankMarker,
  writeRecord,
  type RecordFields,
} from '../../storage/message-record.js';
import { OffsetMessageId } from '../../protocol/offset-message-id.js';
import { NodeFileSystem } from '../../storage/node-file-system.js';
import { QueueCatalog, decodeCatalog, encodeCatalogLine } from '../../storage/queue-catalog.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const require = createRequire(import.meta.url);
const fastCrc32c = require('fast-crc32c') as { calculate(bytes: Buffer, seed?: number): number };

// dist/test/unit/golden-bytes.test.js -> <root>/test/fixtures/
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

function fixture(format: string, name: string): Buffer {
  return fs.readFileSync(path.join(FIXTURES, format, `${name}.v1.bin`));
}

function viewOf(bytes: Buffer): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
}

// ---- commit log record ------------------------------------------------------------------------

const PROPERTIES = encodeMessageProperties({
  TAGS: 'paid',
  KEYS: 'o-17 o-18',
  note: 'café',
  UNIQ_KEY: '0A00000130390000000000000000002A',
});
const BODY = Buffer.concat([Buffer.from('golden body'), Buffer.from([0x00, 0xff])]);
const TOPIC = 'GoldenTopic';
const PHYSICAL_OFFSET = 0x2_4000_0100;

/** Every field distinct and non-zero, so a field written at another's offset shows. */
function goldenRecordFields(): RecordFields {
  return {
    queueId: 7,
    flag: 0x0a0b0c0d,
    queueOffset: 0x1122_3344_5566,
    physicalOffset: PHYSICAL_OFFSET,
    sysFlag: 9,
    bornTimestamp: 1_700_000_000_123,
    bornHost: { ip: 0xc0a80102, port: 45678 },
    storeTimestamp: 1_700_000_000_456,
    storeHost: { ip: 0x0a000001, port: 10911 },
    reconsumeTimes: 3,
    preparedTransactionOffset: 0xab_cdef_0123,
    body: BODY,
    topic: Buffer.from(TOPIC, 'latin1'),
    properties: PROPERTIES,
    propertiesBytes: Buffer.byteLength(PROPERTIES, 'utf8'),
  };
}

test('golden: commit log record encodes to the fixture bytes (every field set, v1)', () => {
  const fields = goldenRecordFields();
  const size = recordBytes(BODY.length, TOPIC.length, fields.propertiesBytes);
  const bytes = Buffer.alloc(size);
  assert.equal(writeRecord(bytes, viewOf(bytes), 0, fields), size);
  sealRecord(bytes, 0);
  assert.deepEqual(bytes, fixture('commit-log-record', 'all-fields'));
  // The same record written mid-buffer is the same bytes (no offset leaks into the encoding).
  const shifted = Buffer.alloc(size + 40);
  writeRecord(shifted, viewOf(shifted), 33, fields);
  sealRecord(shifted, 33);
  assert.deepEqual(shifted.subarray(33, 33 + size), bytes);
});

test('golden: commit log record fields sit at the offsets of the layout table (v1)', () => {
  const bytes = fixture('commit-log-record', 'all-fields');
  const bodyLength = 13;
  const topicLength = 11;
  const propertiesLength = 78; // TAGS 10 + KEYS 15 + note 11 (é is 2 bytes) + UNIQ_KEY 42.
  assert.equal(bytes.length, 91 + bodyLength + topicLength + propertiesLength);
  assert.equal(bytes.readInt32BE(0), bytes.length, 'TOTALSIZE');
  assert.equal(bytes.readUInt32BE(4), 0xdaa320a7, 'MAGICCODE');
  assert.equal(bytes.readUInt32BE(8), fastCrc32c.calculate(bytes.subarray(12)), 'BODYCRC: CRC-32C of [12, end)');
  assert.equal(bytes.readInt32BE(12), 7, 'QUEUEID');
  assert.equal(bytes.readInt32BE(16), 0x0a0b0c0d, 'FLAG');
  assert.equal(bytes.readBigInt64BE(20), 0x1122_3344_5566n, 'QUEUEOFFSET');
  assert.equal(bytes.readBigInt64BE(28), 0x2_4000_0100n, 'PHYSICALOFFSET');
  assert.equal(bytes.readInt32BE(36), 9, 'SYSFLAG');
  assert.equal(bytes.readBigInt64BE(40), 1_700_000_000_123n, 'BORNTIMESTAMP');
  assert.deepEqual([...bytes.subarray(48, 52)], [192, 168, 1, 2], 'BORNHOST ip');
  assert.equal(bytes.readInt32BE(52), 45678, 'BORNHOST port');
  assert.equal(bytes.readBigInt64BE(56), 1_700_000_000_456n, 'STORETIMESTAMP');
  assert.deepEqual([...bytes.subarray(64, 68)], [10, 0, 0, 1], 'STOREHOST ip');
  assert.equal(bytes.readInt32BE(68), 10911, 'STOREHOST port');
  assert.equal(bytes.readInt32BE(72), 3, 'RECONSUMETIMES');
  assert.equal(bytes.readBigInt64BE(76), 0xab_cdef_0123n, 'PREPARED TX OFFSET');
  assert.equal(bytes.readInt32BE(84), bodyLength, 'BODYLENGTH');
  assert.deepEqual(bytes.subarray(88, 88 + bodyLength), BODY, 'BODY');
  assert.equal(bytes.readUInt8(88 + bodyLength), topicLength, 'TOPICLENGTH');
  assert.equal(bytes.toString('latin1', 89 + bodyLength, 89 + bodyLength + topicLength), TOPIC, 'TOPIC');
  const propertiesAt = 89 + bodyLength + topicLength;
  assert.equal(bytes.readInt16BE(propertiesAt), propertiesLength, 'PROPERTIESLENGTH');
  assert.equal(
    bytes.toString('latin1', propertiesAt + 2, propertiesAt + 12),
    'TAGS\u0001paid\u0002',
    'PROPERTIES start with the first pair',
  );
  assert.equal(bytes.toString('utf8', propertiesAt + 2), PROPERTIES, 'PROPERTIES run to the end');
});

test('golden: commit log record fixture decodes to every field and checks as a record (v1)', () => {
  const bytes = fixture('commit-log-record', 'all-fields');
  const view = viewOf(bytes);
  const decoded = readRecord(bytes, view, 0);
  const { topic, properties, propertiesBytes, body, ...expected } = goldenRecordFields();
  assert.equal(propertiesBytes, 78);
  assert.deepEqual(
    { ...decoded, body: Buffer.from(decoded.body) },
    {
      ...expected,
      totalSize: bytes.length,
      magic: 0xdaa320a7,
      checksum: fastCrc32c.calculate(bytes.subarray(12)),
      body: Buffer.from(body),
      topic: Buffer.from(topic).toString('latin1'),
      properties,
    },
  );
  assert.deepEqual(checkRecord(bytes, view, 0, bytes.length, PHYSICAL_OFFSET), { kind: 'record', size: bytes.length });
  // Any flipped byte, header or tail, is caught.
  for (const at of [0, 4, 8, 13, 30, 50, 90, 101, bytes.length - 1]) {
    const damaged = Buffer.from(bytes);
    damaged[at] = damaged[at]! ^ 0x40;
    const check = checkRecord(damaged, viewOf(damaged), 0, damaged.length, PHYSICAL_OFFSET);
    assert.equal(check.kind, 'invalid', `flip at ${at}`);
  }
  const elsewhere = checkRecord(bytes, view, 0, bytes.length, PHYSICAL_OFFSET + 8);
  assert.deepEqual(elsewhere, { kind: 'invalid', reason: 'physical offset does not match position' });
});

test('golden: blank marker encodes to TOTALSIZE = bytes left and magic 0xCBD43194 (left=24)', () => {
  const expected = fixture('commit-log-record', 'blank-marker');
  assert.equal(expected.length, 24);
  assert.equal(expected.readInt32BE(0), 24, 'TOTALSIZE');
  assert.equal(expected.readUInt32BE(4), 0xcbd43194, 'MAGICCODE');
  assert.ok(
    expected.subarray(8).every((byte) => byte === 0),
    'the rest of the segment stays zero',
  );
  const bytes = Buffer.alloc(24);
  writeBlankMarker(viewOf(bytes), 0, 24);
  assert.deepEqual(bytes, expected);
  assert.deepEqual(checkRecord(expected, viewOf(expected), 0, 24, 0), { kind: 'blank', size: 24 });
  // A marker that does not reach the segment end is not a valid blank.
  const padded = Buffer.concat([expected, Buffer.alloc(8)]);
  assert.equal(checkRecord(padded, viewOf(padded), 0, 32, 0).kind, 'invalid');
});

// ---- consume queue ---------------------------------------------------------------------------

test('golden: consume queue entry encodes to the fixture, tags code sign-extended (20 bytes)', () => {
  const expected = fixture('consume-queue', 'entry');
  const tagsCode = javaStringHash('refunded');
  assert.equal(tagsCode, -707924457, 'a tag whose Java hash is negative');
  assert.equal(expected.length, 20);
  assert.equal(expected.readBigInt64BE(0), 0x2_4000_0100n, 'COMMITLOGOFFSET');
  assert.equal(expected.readInt32BE(8), 499, 'SIZE');
  assert.equal(expected.readBigInt64BE(12), BigInt(tagsCode), 'TAGSCODE');
  const bytes = Buffer.alloc(20);
  const entry = { commitLogOffset: 0x2_4000_0100, size: 499, tagsCode };
  writeConsumeQueueEntry(viewOf(bytes), 0, entry.commitLogOffset, entry.size, entry.tagsCode);
  assert.deepEqual(bytes, expected);
  assert.deepEqual(readConsumeQueueEntry(viewOf(expected), 0), entry);
});

// ---- index file ------------------------------------------------------------------------------

const INDEX_BEGIN_OFFSET = 0x1_0000;
const INDEX_BEGIN_TIMESTAMP = 1_700_000_000_000;
const INDEX_PUTS = [
  { keyHash: 0x11223345, commitLogOffset: 0x1_0010, storeTimestamp: INDEX_BEGIN_TIMESTAMP }, // slot 1
  { keyHash: 0x0a0b0c0e, commitLogOffset: 0x1_0100, storeTimestamp: INDEX_BEGIN_TIMESTAMP + 2500 }, // slot 2
  { keyHash: 0x7edcba99, commitLogOffset: 0x1_0200, storeTimestamp: INDEX_BEGIN_TIMESTAMP + 7999 }, // slot 1
];

test('golden: index file header and entry encode to the fixtures (slots=4, entries=3)', async () => {
  const directory = temporaryDirectory('golden-index');
  const filePath = path.join(directory.path, '00000000000000065536');
  try {
    const index = IndexFile.create(NodeFileSystem, filePath, INDEX_BEGIN_OFFSET, 4, 3);
    try {
      for (const put of INDEX_PUTS) index.put(put.keyHash, put.commitLogOffset, put.storeTimestamp);
      index.noteIndexedUpTo(0x1_0300, INDEX_BEGIN_TIMESTAMP + 7999);
      const bytes = Buffer.from(index.file.buffer);
      assert.equal(bytes.length, 48 + 4 * 4 + 4 * 20, 'header, 4 slots, entries 0..3');
      assert.deepEqual(bytes.subarray(0, 48), fixture('index-file', 'header'));
      assert.deepEqual(bytes.subarray(48 + 16 + 3 * 20), fixture('index-file', 'entry'));
      // Slots hold the newest entry of their hash: slot 1 -> entry 3, slot 2 -> entry 2.
      assert.deepEqual(
        [0, 1, 2, 3].map((slot) => bytes.readInt32BE(48 + slot * 4)),
        [0, 3, 2, 0],
      );
      assert.ok(
        bytes.subarray(64, 84).every((byte) => byte === 0),
        'entry 0 is never used',
      );
      assert.equal(index.isFull, true);
    } finally {
      await index.close();
    }
    const reopened = IndexFile.open(NodeFileSystem, filePath, INDEX_BEGIN_OFFSET, 48 + 16 + 80);
    try {
      const chain: number[] = [];
      reopened.lookup(0x7edcba99, (offset) => chain.push(offset) > 0);
      reopened.lookup(0x11223345, (offset) => chain.push(offset) > 0);
      assert.deepEqual(chain, [0x1_0200, 0x1_0010], 'a lookup walks the slot chain and filters by hash');
      assert.equal(reopened.beginOffset, INDEX_BEGIN_OFFSET);
      assert.equal(reopened.endOffset, 0x1_0300);
      assert.equal(reopened.entryCount, 4);
    } finally {
      await reopened.close();
    }
  } finally {
    directory.remove();
  }
});

test('golden: index file header and entry fields sit at the offsets of the layout table', () => {
  const header = fixture('index-file', 'header');
  assert.equal(header.length, 48);
  assert.equal(header.readUInt32BE(0), 0x54494458, 'MAGIC "TIDX"');
  assert.equal(header.toString('latin1', 0, 4), 'TIDX');
  assert.equal(header.readUInt32BE(4), 1, 'FORMAT_VERSION');
  assert.equal(header.readBigInt64BE(8), BigInt(INDEX_BEGIN_TIMESTAMP), 'BEGINTIMESTAMP');
  assert.equal(header.readBigInt64BE(16), BigInt(INDEX_BEGIN_TIMESTAMP + 7999), 'ENDTIMESTAMP');
  assert.equal(header.readBigInt64BE(24), BigInt(INDEX_BEGIN_OFFSET), 'BEGINOFFSET');
  assert.equal(header.readBigInt64BE(32), 0x1_0300n, 'ENDOFFSET');
  assert.equal(header.readInt32BE(40), 4, 'SLOTCOUNT');
  assert.equal(header.readInt32BE(44), 4, 'ENTRYCOUNT = used + 1');
  const entry = fixture('index-file', 'entry');
  assert.equal(entry.length, 20);
  assert.equal(entry.readInt32BE(0), 0x7edcba99, 'KEYHASH');
  assert.equal(entry.readBigInt64BE(4), 0x1_0200n, 'COMMITLOGOFFSET');
  assert.equal(entry.readInt32BE(12), 7, 'TIMEDIFFSECONDS: floor(7999 ms / 1000)');
  assert.equal(entry.readInt32BE(16), 1, 'PREVENTRY: the older entry in slot 1');
});

// ---- checkpoint ------------------------------------------------------------------------------

const CHECKPOINT_STATE: CheckpointState = {
  commitLogFlushed: 0x1_0000_0200,
  consumeQueueFlushed: 0x1_0000_0100,
  indexFlushed: 0x1_0000_0080,
  indexFileBegin: 0x40_0000,
  indexEntryCount: 0x1234,
  writtenAt: 1_700_000_009_999,
};
const CHECKPOINT_SEQUENCE = 0x102;

test('golden: checkpoint record encodes to the fixture and decodes back (64 bytes)', () => {
  const expected = fixture('checkpoint', 'record');
  assert.deepEqual(encodeCheckpoint(CHECKPOINT_STATE, CHECKPOINT_SEQUENCE), expected);
  assert.deepEqual(decodeCheckpoint(expected), { state: CHECKPOINT_STATE, sequence: CHECKPOINT_SEQUENCE });
  assert.equal(expected.length, 64);
  assert.equal(expected.toString('latin1', 0, 4), 'TCKP', 'MAGIC');
  assert.equal(expected.readUInt32BE(4), 1, 'FORMAT_VERSION');
  assert.equal(expected.readBigInt64BE(8), BigInt(CHECKPOINT_SEQUENCE), 'SEQUENCE');
  assert.equal(expected.readBigInt64BE(16), BigInt(CHECKPOINT_STATE.commitLogFlushed), 'COMMITLOGFLUSHED');
  assert.equal(expected.readBigInt64BE(24), BigInt(CHECKPOINT_STATE.consumeQueueFlushed), 'CONSUMEQUEUEFLUSHED');
  assert.equal(expected.readBigInt64BE(32), BigInt(CHECKPOINT_STATE.indexFlushed), 'INDEXFLUSHED');
  assert.equal(expected.readBigInt64BE(40), BigInt(CHECKPOINT_STATE.indexFileBegin), 'INDEXFILEBEGIN');
  assert.equal(expected.readInt32BE(48), CHECKPOINT_STATE.indexEntryCount, 'INDEXENTRYCOUNT');
  assert.equal(expected.readBigInt64BE(52), BigInt(CHECKPOINT_STATE.writtenAt), 'WRITTENAT');
  assert.equal(expected.readUInt32BE(60), fastCrc32c.calculate(expected.subarray(0, 60)), 'CRC of [0, 60)');
  // A trailing slot remainder after the record does not matter.
  assert.notEqual(decodeCheckpoint(Buffer.concat([expected, Buffer.alloc(448, 0xee)])), undefined);
});

test('golden: a corrupted checkpoint copy is rejected (every byte flipped in turn, short, old version)', () => {
  const expected = fixture('checkpoint', 'record');
  for (let at = 0; at < expected.length; at++) {
    const damaged = Buffer.from(expected);
    damaged[at] = damaged[at]! ^ 0x01;
    assert.equal(decodeCheckpoint(damaged), undefined, `flip at ${at}`);
  }
  assert.equal(decodeCheckpoint(expected.subarray(0, 63)), undefined, 'short');
  const otherVersion = Buffer.from(expected);
  otherVersion.writeUInt32BE(2, 4);
  otherVersion.writeUInt32BE(fastCrc32c.calculate(otherVersion.subarray(0, 60)), 60);
  assert.equal(decodeCheckpoint(otherVersion), undefined, 'a version this code does not know');
});

test('golden: checkpoint file falls back to the older copy when the newer one is corrupted (slots=2)', async () => {
  const directory = temporaryDirectory('golden-checkpoint');
  try {
    // Sequence n lives in slot n % 2 of 512 bytes.
    const older = encodeCheckpoint({ ...CHECKPOINT_STATE, commitLogFlushed: 100 }, 2);
    const newer = encodeCheckpoint({ ...CHECKPOINT_STATE, commitLogFlushed: 200 }, 3);
    const file = Buffer.alloc(1024);
    older.copy(file, 0);
    newer.copy(file, 512);
    fs.writeFileSync(path.join(directory.path, 'checkpoint'), file);
    const intact = Checkpoint.open(NodeFileSystem, directory.path);
    assert.equal(intact.state.commitLogFlushed, 200, 'the higher sequence wins');
    await intact.close();
    file[512 + 20] = file[512 + 20]! ^ 0xff;
    fs.writeFileSync(path.join(directory.path, 'checkpoint'), file);
    const fallback = Checkpoint.open(NodeFileSystem, directory.path);
    assert.equal(fallback.state.commitLogFlushed, 100, 'the torn newer copy is ignored');
    await fallback.close();
  } finally {
    directory.remove();
  }
});

// ---- queue catalog ---------------------------------------------------------------------------

const CATALOG_ENTRIES = [
  { topic: 'orders', queueId: 0 },
  { topic: 'orders', queueId: 7 },
  { topic: '%RETRY%billing', queueId: 1023 },
];

test('golden: queue catalog lines encode to the fixture and decode back (lines=3)', () => {
  const expected = fixture('queue-catalog', 'three-queues');
  assert.equal(expected.toString('latin1'), 'orders 0\norders 7\n%RETRY%billing 1023\n');
  assert.deepEqual(Buffer.from(CATALOG_ENTRIES.map(encodeCatalogLine).join(''), 'utf8'), expected);
  assert.deepEqual(decodeCatalog(expected.toString('utf8')), CATALOG_ENTRIES);
});

test('golden: a torn last catalog line is ignored (torn="orders 1", "orders", "")', () => {
  const text = fixture('queue-catalog', 'three-queues').toString('utf8');
  for (const torn of ['orders 1', 'orders', 'orders ', '']) {
    assert.deepEqual(decodeCatalog(text + torn), CATALOG_ENTRIES, `torn '${torn}'`);
  }
  // Malformed complete lines are skipped too; the lines around them still count.
  assert.deepEqual(decodeCatalog('orders 0\nbad line here\norders x\norders 7\n'), CATALOG_ENTRIES.slice(0, 2));
});

test('golden: a queue added after a torn catalog line survives reopening (torn="orders 1")', () => {
  const directory = temporaryDirectory('golden-catalog');
  const catalogPath = path.join(directory.path, 'queues.catalog');
  try {
    fs.writeFileSync(catalogPath, Buffer.concat([fixture('queue-catalog', 'three-queues'), Buffer.from('orders 1')]));
    const catalog = new QueueCatalog(NodeFileSystem, directory.path);
    assert.deepEqual(catalog.entries, CATALOG_ENTRIES);
    catalog.add({ topic: 'payments', queueId: 2 });
    catalog.close();
    const reopened = new QueueCatalog(NodeFileSystem, directory.path);
    assert.deepEqual(reopened.entries, [...CATALOG_ENTRIES, { topic: 'payments', queueId: 2 }]);
    reopened.close();
  } finally {
    directory.remove();
  }
});

// ---- offset message id -----------------------------------------------------------------------

test('golden: offset message id is store host + commit log offset as 32 uppercase hex (16 bytes)', () => {
  const expected = fixture('offset-message-id', 'id');
  assert.equal(expected.length, 16);
  assert.deepEqual([...expected.subarray(0, 4)], [10, 0, 0, 1], 'store host IPv4');
  assert.equal(expected.readInt32BE(4), 10911, 'store host port');
  assert.equal(expected.readBigInt64BE(8), 0x2_4000_0100n, 'commit log offset');
  const id = OffsetMessageId.encode({ ip: 0x0a000001, port: 10911 }, 0x2_4000_0100);
  assert.equal(id, '0A00000100002A9F0000000240000100');
  assert.equal(id, expected.toString('hex').toUpperCase());
  const decoded = { storeHost: { ip: 0x0a000001, port: 10911 }, commitLogOffset: 0x2_4000_0100 };
  assert.deepEqual(OffsetMessageId.decode(id), decoded);
  assert.deepEqual(OffsetMessageId.decode(id.toLowerCase()), decoded);
  assert.equal(OffsetMessageId.decode(id.slice(1)), undefined, '31 characters');
  assert.equal(OffsetMessageId.decode(`${id.slice(0, 31)}G`), undefined, 'not hex');
  assert.equal(OffsetMessageId.decode('0A00000100002A9F8000000000000000'), undefined, 'negative offset');
  assert.equal(OffsetMessageId.decode('0A00000100002A9F0020000000000000'), undefined, 'offset above 2^53');
});

test("a batch answer's id list is each offset id joined by commas, across offsets past 2^32 and lists of any length", () => {
  const host = { ip: 0x0a000001, port: 10911 };
  const offsets = [0, 0x2_4000_0100, 0xffff_ffff, 0x1_0000_0000, Number.MAX_SAFE_INTEGER];
  const stored = (list: number[]): { commitLogOffset: number }[] =>
    list.map((commitLogOffset) => ({ commitLogOffset }));
  assert.equal(
    OffsetMessageId.encodeList(host, stored(offsets)),
    offsets.map((offset) => OffsetMessageId.encode(host, offset)).join(','),
  );
  assert.equal(OffsetMessageId.encodeList(host, stored([0x2_4000_0100])), '0A00000100002A9F0000000240000100');
  const long = Array.from({ length: 1000 }, (_, i) => i * 164 + 0xffff_0000);
  assert.equal(
    OffsetMessageId.encodeList(host, stored(long)),
    long.map((offset) => OffsetMessageId.encode(host, offset)).join(','),
    'a longer list than any before grows the scratch',
  );
  const other = { ip: 0xc0a80001, port: 8080 };
  assert.equal(OffsetMessageId.encodeList(other, stored([7])), OffsetMessageId.encode(other, 7), 'per host');
});

// ---- properties ------------------------------------------------------------------------------

test('golden: properties encode as name 0x01 value 0x02 pairs in UTF-8 (pairs=3)', () => {
  assert.equal(encodeMessageProperties({ k: 'v' }), 'k\u0001v\u0002');
  assert.deepEqual(Buffer.from(encodeMessageProperties({ k: 'v' }), 'utf8'), Buffer.from([0x6b, 0x01, 0x76, 0x02]));
  assert.equal(encodeMessageProperties({}), '');
  const expected = fixture('message-properties', 'pairs');
  const properties = { TAGS: 'paid', KEYS: 'o-17 o-18', note: 'café' };
  assert.deepEqual(Buffer.from(encodeMessageProperties(properties), 'utf8'), expected);
  assert.equal(expected.length, 36, 'é takes two bytes');
  assert.equal(expected.toString('latin1', 0, 10), 'TAGS\u0001paid\u0002');
  assert.equal(expected[expected.length - 1], 0x02, 'the last pair also ends in 0x02');
  const text = expected.toString('utf8');
  assert.deepEqual({ ...decodeMessageProperties(text) }, properties);
  assert.equal(findProperty(text, 'KEYS'), 'o-17 o-18');
  assert.equal(findProperty(text, 'note'), 'café');
  assert.equal(findProperty(text, 'paid'), undefined, 'a value is not a name');
  assert.equal(findProperty('a\u0001TAGS\u0001x\u0002', 'TAGS'), undefined, 'a match inside a value does not count');
});

test('soleUniqueKey reads a properties string that is one UNIQ_KEY pair, and nothing else', () => {
  const id = '0A000001A1B2C3D4E5F6000000010002';
  const sole = `UNIQ_KEY\u0001${id}\u0002`;
  assert.equal(soleUniqueKey(sole), id);
  assert.equal(isSoleUniqueKey(sole), true);
  assert.equal(soleUniqueKey(sole), findProperty(sole, 'UNIQ_KEY'), 'as findProperty reads it');
  assert.equal(soleUniqueKey('UNIQ_KEY\u0001\u0002'), '', 'an empty id');
  for (const other of [
    `UNIQ_KEY\u0001${id}\u0002DELAY\u00013\u0002`,
    `TAGS\u0001a\u0002UNIQ_KEY\u0001${id}\u0002`,
    `UNIQ_KEY\u0001${id}`,
    `UNIQ_KEYS\u0001${id}\u0002`,
    'UNIQ_KEY\u0002',
    '',
  ]) {
    assert.equal(soleUniqueKey(other), undefined, JSON.stringify(other));
    assert.equal(isSoleUniqueKey(other), false, JSON.stringify(other));
  }
});

test.run();
