// Fuzz target for the store's record codec (storage/message-record.ts): a segment-like buffer
// of sealed records, ending exactly, in a BLANK marker or in zeroes, walked the way recovery
// walks a segment: checkRecord at each position until 'invalid', 'blank' or the limit, and
// readRecord on every record checkRecord accepts. checkRecord documents no error: damage must
// come back as { kind: 'invalid' }, so any throw is a finding. Random limits (a segment still
// being written), start positions (an offset taken from a message id) and checksum skipping
// (recovery's fast path) are part of each input's draw.
import assert from 'node:assert/strict';

import type { LengthField } from '../support/byte-mutator.js';
import type { FuzzTarget } from '../support/fuzz-harness.js';
import type { SeededRandom } from '../support/seeded-random.js';
import {
  MAGIC_MESSAGE_V1,
  RECORD_FIXED_BYTES,
  RECORD_LAYOUT,
  checkRecord,
  readRecord,
  recordBytes,
  sealRecord,
  writeBlankMarker,
  writeRecord,
  type RecordFields,
} from '../../storage/message-record.js';
import { decodeMessageProperties, encodeMessageProperties } from '../../protocol/message-properties-codec.js';
import { randomBody, randomInt32, randomLong, randomName, randomProperties } from './fuzz-samples.js';

/** Where the fuzzed segment starts in the log: a realistic, large offset. */
const SEGMENT_START = 3 * 1024 * 1024 * 1024;
const RECORDS_MAX = 4;
const BLANK_TAIL_BYTES_MAX = 64;
const ZERO_TAIL_BYTES_MAX = 32;

type RecordSample = { bytes: Buffer; lengthFields: LengthField[]; valid: true; records: number };

function randomFields(random: SeededRandom, physicalOffset: number): RecordFields {
  const properties = encodeMessageProperties(randomProperties(random));
  return {
    queueId: randomInt32(random),
    flag: randomInt32(random),
    queueOffset: randomLong(random),
    physicalOffset,
    sysFlag: randomInt32(random),
    bornTimestamp: randomLong(random),
    bornHost: { ip: random.int(2 ** 32), port: random.int(65_536) },
    storeTimestamp: randomLong(random),
    storeHost: { ip: random.int(2 ** 32), port: random.int(65_536) },
    reconsumeTimes: randomInt32(random),
    preparedTransactionOffset: randomLong(random),
    body: randomBody(random),
    topic: Buffer.from(randomName(random, 40), 'latin1'),
    properties,
    propertiesBytes: Buffer.byteLength(properties, 'utf8'),
  };
}

function segmentSample(random: SeededRandom): RecordSample {
  const records = Array.from({ length: random.int(RECORDS_MAX + 1) }, () => randomFields(random, 0));
  const recordsBytes = records.reduce(
    (sum, fields) => sum + recordBytes(fields.body.length, fields.topic.length, fields.propertiesBytes),
    0,
  );
  const tail = random.int(3);
  const tailBytes =
    tail === 0 ? 0 : tail === 1 ? random.between(8, BLANK_TAIL_BYTES_MAX) : random.between(1, ZERO_TAIL_BYTES_MAX);
  const bytes = Buffer.alloc(recordsBytes + tailBytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const lengthFields: LengthField[] = [];
  let at = 0;
  for (const fields of records) {
    const size = writeRecord(bytes, view, at, { ...fields, physicalOffset: SEGMENT_START + at });
    sealRecord(bytes, at);
    const topicAt = at + RECORD_LAYOUT.body + fields.body.length;
    lengthFields.push(
      { at, bytes: 4 },
      { at: at + RECORD_LAYOUT.bodyLength, bytes: 4 },
      { at: topicAt, bytes: 1 },
      { at: topicAt + 1 + fields.topic.length, bytes: 2 },
    );
    at += size;
  }
  if (tail === 1) {
    writeBlankMarker(view, at, tailBytes);
    lengthFields.push({ at, bytes: 4 });
  }
  return { bytes, lengthFields, valid: true, records: records.length };
}

/** readRecord on a record checkRecord accepted must agree with it field by field. */
function checkAccepted(input: Buffer, view: DataView, at: number, size: number): void {
  const record = readRecord(input, view, at);
  assert.equal(record.totalSize, size);
  assert.equal(record.magic, MAGIC_MESSAGE_V1);
  assert.equal(record.physicalOffset, SEGMENT_START + at);
  assert.equal(record.body.length, view.getInt32(at + RECORD_LAYOUT.bodyLength));
  assert.ok(record.body.byteOffset >= input.byteOffset + at + RECORD_LAYOUT.body, 'body starts before its field');
  const propertiesBytes = size - RECORD_FIXED_BYTES - record.body.length - record.topic.length;
  assert.equal(view.getInt16(at + RECORD_LAYOUT.body + record.body.length + 1 + record.topic.length), propertiesBytes);
  decodeMessageProperties(record.properties);
}

function walkSegment(input: Buffer, random: SeededRandom, original: RecordSample | undefined): string {
  const view = new DataView(input.buffer, input.byteOffset, input.length);
  const whole = original !== undefined || random.int(4) !== 0;
  const limit = whole ? input.length : random.int(input.length + 1);
  const verifyChecksum = original !== undefined || random.int(2) === 0;
  let at = original !== undefined || random.int(4) !== 0 ? 0 : random.int(limit + 9);
  let records = 0;
  let ending = 'end';
  while (at < limit) {
    const check = checkRecord(input, view, at, limit, SEGMENT_START, verifyChecksum);
    if (check.kind === 'invalid') {
      ending = `invalid (${check.reason})`;
      break;
    }
    if (check.kind === 'blank') {
      assert.equal(at + check.size, limit, 'a blank marker that does not end the segment');
      ending = 'blank';
      break;
    }
    assert.ok(check.size >= RECORD_FIXED_BYTES && at + check.size <= limit, `record of ${check.size} bytes at ${at}`);
    checkAccepted(input, view, at, check.size);
    records++;
    at += check.size;
  }
  if (original !== undefined) assert.equal(records, original.records, 'a valid segment lost records');
  return `${records === 0 ? 'no record' : 'records'} then ${ending}`;
}

export const storeRecordTarget: FuzzTarget = {
  name: 'store-record',
  sample: segmentSample,
  decode: (input, random, original) => walkSegment(input, random, original as RecordSample | undefined),
  classifyError: () => undefined,
};
