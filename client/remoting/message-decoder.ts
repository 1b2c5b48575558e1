// Decodes the records of a pull response body (or a check-back request): RocketMQ's v1 record
// layout, concatenated. The layout table lives with the store's codec
// (storage/message-record.ts); the client keeps its own decoder because it must not depend on
// the store, and a test checks the two agree byte for byte.
//
// | offset | bytes | field              |   | offset | bytes | field              |
// |--------|-------|--------------------|---|--------|-------|--------------------|
// |      0 |     4 | TOTALSIZE          |   |     48 |     8 | BORNHOST           |
// |      4 |     4 | MAGICCODE          |   |     56 |     8 | STORETIMESTAMP     |
// |      8 |     4 | BODYCRC            |   |     64 |     8 | STOREHOST          |
// |     12 |     4 | QUEUEID            |   |     72 |     4 | RECONSUMETIMES     |
// |     16 |     4 | FLAG               |   |     76 |     8 | PREPARED TX OFFSET |
// |     20 |     8 | QUEUEOFFSET        |   |     84 |   4+b | BODY               |
// |     28 |     8 | PHYSICALOFFSET     |   |   88+b |   1+t | TOPIC              |
// |     36 |     4 | SYSFLAG            |   | 89+b+t |   2+p | PROPERTIES         |
// |     40 |     8 | BORNTIMESTAMP      |   |        |       |                    |
import zlib from 'node:zlib';

import { MESSAGE_SYS_FLAG } from './header-fields.js';
import { PROPERTY, decodeMessageProperties } from './message-properties-codec.js';

const FIXED_BYTES = 91;
const BODY_AT = 88;
const TWO_POW_32 = 4294967296;

export class MessageDecodeError extends Error {
  override readonly name = 'MessageDecodeError';
}

/** A message received from a broker. */
export interface ReceivedMessage {
  readonly topic: string;
  readonly queueId: number;
  readonly queueOffset: number;
  readonly commitLogOffset: number;
  readonly flag: number;
  readonly sysFlag: number;
  readonly bornTimestamp: number;
  readonly bornHost: string;
  readonly storeTimestamp: number;
  readonly storeHost: string;
  readonly reconsumeTimes: number;
  readonly preparedTransactionOffset: number;
  readonly bodyCrc: number;
  readonly body: Buffer;
  readonly properties: Readonly<Record<string, string>>;
  /** UNIQ_KEY when present, else the offset id. */
  readonly msgId: string;
  /** Store host + commit log offset, 32 hex characters. */
  readonly offsetMsgId: string;
  readonly tags: string | undefined;
  readonly keys: readonly string[];
}

export function decodeMessages(bytes: Buffer): ReceivedMessage[] {
  const messages: ReceivedMessage[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < FIXED_BYTES) throw new MessageDecodeError(`truncated record at ${at}`);
    const size = view.getInt32(at);
    if (size < FIXED_BYTES || size > bytes.length - at)
      throw new MessageDecodeError(`bad record length ${size} at ${at}`);
    messages.push(decodeOne(bytes, view, at, size));
    at += size;
  }
  return messages;
}

function decodeOne(bytes: Buffer, view: DataView, at: number, size: number): ReceivedMessage {
  const bodyLength = view.getInt32(at + 84);
  const topicLengthAt = at + BODY_AT + bodyLength;
  if (bodyLength < 0 || topicLengthAt + 1 > at + size) throw new MessageDecodeError(`bad body length at ${at}`);
  const topicLength = view.getUint8(topicLengthAt);
  const propertiesLengthAt = topicLengthAt + 1 + topicLength;
  if (propertiesLengthAt + 2 > at + size) throw new MessageDecodeError(`bad topic length at ${at}`);
  const propertiesLength = view.getInt16(propertiesLengthAt);
  if (propertiesLength < 0 || propertiesLengthAt + 2 + propertiesLength !== at + size) {
    throw new MessageDecodeError(`inner lengths do not add up at ${at}`);
  }
  const sysFlag = view.getInt32(at + 36);
  let body = bytes.subarray(at + BODY_AT, topicLengthAt);
  if ((sysFlag & MESSAGE_SYS_FLAG.compressed) !== 0) body = zlib.inflateSync(body);
  const properties = decodeMessageProperties(bytes.toString('utf8', propertiesLengthAt + 2, at + size));
  const commitLogOffset = readLong(view, at + 28);
  const storeHostAt = at + 64;
  const offsetMsgId =
    bytes.toString('hex', storeHostAt, storeHostAt + 8).toUpperCase() +
    bytes.toString('hex', at + 28, at + 36).toUpperCase();
  const keys = properties[PROPERTY.keys];
  return {
    topic: bytes.toString('latin1', topicLengthAt + 1, propertiesLengthAt),
    queueId: view.getInt32(at + 12),
    queueOffset: readLong(view, at + 20),
    commitLogOffset,
    flag: view.getInt32(at + 16),
    sysFlag,
    bornTimestamp: readLong(view, at + 40),
    bornHost: readHost(view, at + 48),
    storeTimestamp: readLong(view, at + 56),
    storeHost: readHost(view, storeHostAt),
    reconsumeTimes: view.getInt32(at + 72),
    preparedTransactionOffset: readLong(view, at + 76),
    bodyCrc: view.getUint32(at + 8),
    body,
    properties,
    msgId: properties[PROPERTY.uniqueKey] ?? offsetMsgId,
    offsetMsgId,
    tags: properties[PROPERTY.tags],
    keys: keys === undefined || keys === '' ? [] : keys.split(' '),
  };
}

function readLong(view: DataView, at: number): number {
  return view.getInt32(at) * TWO_POW_32 + view.getUint32(at + 4);
}

function readHost(view: DataView, at: number): string {
  const ip = view.getUint32(at);
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}:${view.getInt32(at + 4)}`;
}
