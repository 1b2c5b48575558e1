// The commit log record's codec; its layout table is in protocol/message-record-layout.ts, shared
// with the client's decoder, so the store and every party agree on one definition.
import assert from 'node:assert/strict';

import type { HostAddress } from './host-address.js';
import { Int64 } from './int64.js';
import { nativeBinding } from './native-binding.js';
import { invariant } from './invariant.js';
import {
  BLANK_MARKER_BYTES,
  MAGIC_BLANK,
  MAGIC_MESSAGE_V1,
  RECORD_CHECKSUM_FROM,
  RECORD_FIXED_BYTES,
  RECORD_LAYOUT,
} from '../protocol/message-record-layout.js';

export { BLANK_MARKER_BYTES, MAGIC_BLANK, MAGIC_MESSAGE_V1, RECORD_CHECKSUM_FROM, RECORD_FIXED_BYTES, RECORD_LAYOUT };

/** Node's unchecked UTF-8 writer behind Buffer#write (present since Node 0.x, untyped). */
interface Utf8Writable {
  utf8Write(text: string, offset: number, length: number): number;
}

export interface RecordFields {
  queueId: number;
  flag: number;
  queueOffset: number;
  physicalOffset: number;
  sysFlag: number;
  bornTimestamp: number;
  bornHost: HostAddress;
  storeTimestamp: number;
  storeHost: HostAddress;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  body: Uint8Array;
  /** Topic as ASCII bytes (topics are restricted to [A-Za-z0-9_%|-]). */
  topic: Uint8Array;
  /** Encoded properties string and its UTF-8 byte length. */
  properties: string;
  propertiesBytes: number;
}

export function recordBytes(bodyBytes: number, topicBytes: number, propertiesBytes: number): number {
  return RECORD_FIXED_BYTES + bodyBytes + topicBytes + propertiesBytes;
}

/**
 * Writes a record at `at` with a zero checksum and returns its size. The caller seals it
 * (sealRecords / sealRecord) before anyone can read it; batching the checksums of many records
 * into one native call is what keeps small appends cheap.
 */
export function writeRecord(target: Buffer, view: DataView, at: number, fields: RecordFields): number {
  const { body, topic } = fields;
  const size = recordBytes(body.length, topic.length, fields.propertiesBytes);
  view.setInt32(at, size);
  view.setUint32(at + RECORD_LAYOUT.magic, MAGIC_MESSAGE_V1);
  view.setUint32(at + RECORD_LAYOUT.checksum, 0);
  view.setInt32(at + RECORD_LAYOUT.queueId, fields.queueId);
  view.setInt32(at + RECORD_LAYOUT.flag, fields.flag);
  Int64.write(view, at + RECORD_LAYOUT.queueOffset, fields.queueOffset);
  Int64.write(view, at + RECORD_LAYOUT.physicalOffset, fields.physicalOffset);
  view.setInt32(at + RECORD_LAYOUT.sysFlag, fields.sysFlag);
  Int64.write(view, at + RECORD_LAYOUT.bornTimestamp, fields.bornTimestamp);
  view.setUint32(at + RECORD_LAYOUT.bornHost, fields.bornHost.ip);
  view.setInt32(at + RECORD_LAYOUT.bornHost + 4, fields.bornHost.port);
  Int64.write(view, at + RECORD_LAYOUT.storeTimestamp, fields.storeTimestamp);
  view.setUint32(at + RECORD_LAYOUT.storeHost, fields.storeHost.ip);
  view.setInt32(at + RECORD_LAYOUT.storeHost + 4, fields.storeHost.port);
  view.setInt32(at + RECORD_LAYOUT.reconsumeTimes, fields.reconsumeTimes);
  Int64.write(view, at + RECORD_LAYOUT.preparedTransactionOffset, fields.preparedTransactionOffset);
  view.setInt32(at + RECORD_LAYOUT.bodyLength, body.length);
  let cursor = at + RECORD_LAYOUT.body;
  target.set(body, cursor);
  cursor += body.length;
  view.setUint8(cursor, topic.length);
  target.set(topic, cursor + 1);
  cursor += 1 + topic.length;
  view.setInt16(cursor, fields.propertiesBytes);
  cursor += 2;
  writeProperties(target, cursor, fields.properties, fields.propertiesBytes);
  return size;
}

/**
 * Writes the properties string. UTF-8 takes exactly one byte per character iff every character
 * is ASCII, so a byte length equal to the string length means ASCII, and a plain loop writes it
 * in a fraction of the time a call into Buffer's native writer costs for a short string.
 */
function writeProperties(target: Buffer, at: number, properties: string, bytes: number): void {
  if (bytes === properties.length) {
    for (let i = 0; i < bytes; i++) target[at + i] = properties.charCodeAt(i);
    return;
  }
  const written = (target as unknown as Utf8Writable).utf8Write(properties, at, bytes);
  invariant(written === bytes, 'properties byte length was precomputed');
}

/** Checksums one record in place (tests, rare paths); hot paths batch via sealRecords. */
export function sealRecord(target: Buffer, at: number): void {
  const size = target.readInt32BE(at);
  const checksum = nativeBinding.crc32c(target, at + RECORD_CHECKSUM_FROM, size - RECORD_CHECKSUM_FROM, 0);
  target.writeUInt32BE(checksum, at + RECORD_LAYOUT.checksum);
}

export function writeBlankMarker(view: DataView, at: number, bytesLeft: number): void {
  invariant(bytesLeft >= BLANK_MARKER_BYTES, 'a blank marker needs 8 bytes');
  view.setInt32(at, bytesLeft);
  view.setUint32(at + RECORD_LAYOUT.magic, MAGIC_BLANK);
}

export interface DecodedRecord extends Omit<RecordFields, 'topic' | 'properties' | 'propertiesBytes'> {
  totalSize: number;
  magic: number;
  checksum: number;
  topic: string;
  properties: string;
}

/** Decodes every field of the record at `at`; the body is a view, not a copy. */
export function readRecord(source: Buffer, view: DataView, at: number): DecodedRecord {
  const totalSize = view.getInt32(at);
  const bodyLength = view.getInt32(at + RECORD_LAYOUT.bodyLength);
  const bodyStart = at + RECORD_LAYOUT.body;
  const topicLengthAt = bodyStart + bodyLength;
  const topicLength = view.getUint8(topicLengthAt);
  const propertiesLengthAt = topicLengthAt + 1 + topicLength;
  const propertiesLength = view.getInt16(propertiesLengthAt);
  return {
    totalSize,
    magic: view.getUint32(at + RECORD_LAYOUT.magic),
    checksum: view.getUint32(at + RECORD_LAYOUT.checksum),
    queueId: view.getInt32(at + RECORD_LAYOUT.queueId),
    flag: view.getInt32(at + RECORD_LAYOUT.flag),
    queueOffset: Int64.read(view, at + RECORD_LAYOUT.queueOffset),
    physicalOffset: Int64.read(view, at + RECORD_LAYOUT.physicalOffset),
    sysFlag: view.getInt32(at + RECORD_LAYOUT.sysFlag),
    bornTimestamp: Int64.read(view, at + RECORD_LAYOUT.bornTimestamp),
    bornHost: readHost(view, at + RECORD_LAYOUT.bornHost),
    storeTimestamp: Int64.read(view, at + RECORD_LAYOUT.storeTimestamp),
    storeHost: readHost(view, at + RECORD_LAYOUT.storeHost),
    reconsumeTimes: view.getInt32(at + RECORD_LAYOUT.reconsumeTimes),
    preparedTransactionOffset: Int64.read(view, at + RECORD_LAYOUT.preparedTransactionOffset),
    body: source.subarray(bodyStart, bodyStart + bodyLength),
    topic: source.toString('latin1', topicLengthAt + 1, propertiesLengthAt),
    properties: source.toString('utf8', propertiesLengthAt + 2, propertiesLengthAt + 2 + propertiesLength),
  };
}

function readHost(view: DataView, at: number): HostAddress {
  return { ip: view.getUint32(at), port: view.getInt32(at + 4) };
}

export type RecordCheck =
  { kind: 'record'; size: number } | { kind: 'blank'; size: number } | { kind: 'invalid'; reason: string };

/**
 * Validates what lies at `at` in a segment whose data ends at `limit` (the segment size), and
 * whose global start offset is `segmentStart`. Recovery walks a segment with this until the
 * first 'invalid'; a record is valid only if its length, magic, inner lengths, physical offset
 * and checksum all agree.
 */
export function checkRecord(
  source: Buffer,
  view: DataView,
  at: number,
  limit: number,
  segmentStart: number,
  verifyChecksum = true,
): RecordCheck {
  if (at + BLANK_MARKER_BYTES > limit) return { kind: 'invalid', reason: 'no room for a header' };
  const size = view.getInt32(at);
  const magic = view.getUint32(at + RECORD_LAYOUT.magic);
  if (magic === MAGIC_BLANK) {
    if (size === limit - at) return { kind: 'blank', size };
    return { kind: 'invalid', reason: 'blank marker does not fill the segment' };
  }
  if (magic !== MAGIC_MESSAGE_V1) return { kind: 'invalid', reason: 'bad magic' };
  if (size < RECORD_FIXED_BYTES || size > limit - at) return { kind: 'invalid', reason: 'bad length' };
  const bodyLength = view.getInt32(at + RECORD_LAYOUT.bodyLength);
  if (bodyLength < 0 || bodyLength > size - RECORD_FIXED_BYTES) {
    return { kind: 'invalid', reason: 'bad body length' };
  }
  const topicLengthAt = at + RECORD_LAYOUT.body + bodyLength;
  const topicLength = view.getUint8(topicLengthAt);
  if (RECORD_FIXED_BYTES + bodyLength + topicLength > size) {
    return { kind: 'invalid', reason: 'bad topic length' };
  }
  const propertiesLength = view.getInt16(topicLengthAt + 1 + topicLength);
  if (recordBytes(bodyLength, topicLength, propertiesLength) !== size || propertiesLength < 0) {
    return { kind: 'invalid', reason: 'inner lengths do not add up' };
  }
  if (Int64.read(view, at + RECORD_LAYOUT.physicalOffset) !== segmentStart + at) {
    return { kind: 'invalid', reason: 'physical offset does not match position' };
  }
  if (!verifyChecksum) return { kind: 'record', size };
  const expected = nativeBinding.crc32c(source, at + RECORD_CHECKSUM_FROM, size - RECORD_CHECKSUM_FROM, 0);
  if (expected !== view.getUint32(at + RECORD_LAYOUT.checksum)) {
    return { kind: 'invalid', reason: 'checksum mismatch' };
  }
  return { kind: 'record', size };
}
