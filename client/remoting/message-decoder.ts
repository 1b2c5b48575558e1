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

/** Field offsets of the table above, shared with the encoder (message-encoder.ts). */
export const MESSAGE_LAYOUT = {
  totalSize: 0,
  magic: 4,
  bodyCrc: 8,
  queueId: 12,
  flag: 16,
  queueOffset: 20,
  physicalOffset: 28,
  sysFlag: 36,
  bornTimestamp: 40,
  bornHost: 48,
  storeTimestamp: 56,
  storeHost: 64,
  reconsumeTimes: 72,
  preparedTransactionOffset: 76,
  bodyLength: 84,
  body: 88,
  /** Every fixed field plus the length prefixes of body (4), topic (1) and properties (2). */
  fixedBytes: 91,
} as const;

const FIXED_BYTES = MESSAGE_LAYOUT.fixedBytes;
const BODY_AT = MESSAGE_LAYOUT.body;
const TWO_POW_32 = 4294967296;
/** For each byte, its two upper-case hex digits as ASCII codes in one 16-bit number. */
const UPPER_HEX_PAIRS = Uint16Array.from({ length: 256 }, (_, byte) => {
  const digits = byte.toString(16).toUpperCase().padStart(2, '0');
  return (digits.charCodeAt(0) << 8) | digits.charCodeAt(1);
});
const OFFSET_ID_SCRATCH = Buffer.alloc(32);
/** Shared by every message without keys, so none allocates an empty array. */
const NO_KEYS: readonly string[] = Object.freeze([]);
const HOST_NAMES = new Map<number, Map<number, string>>();
/** Distinct born/store hosts remembered; past it the cache starts over (clients are few). */
const HOST_NAMES_CACHED_MAX = 1024;
/** Largest body a compressed one may inflate to: four times the 4 MiB default message limit. */
const INFLATED_BODY_BYTES_MAX = 16 * 1024 * 1024;

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
  const bodyLength = view.getInt32(at + MESSAGE_LAYOUT.bodyLength);
  const topicLengthAt = at + BODY_AT + bodyLength;
  if (bodyLength < 0 || topicLengthAt + 1 > at + size) throw new MessageDecodeError(`bad body length at ${at}`);
  const topicLength = view.getUint8(topicLengthAt);
  const propertiesLengthAt = topicLengthAt + 1 + topicLength;
  if (propertiesLengthAt + 2 > at + size) throw new MessageDecodeError(`bad topic length at ${at}`);
  const propertiesLength = view.getInt16(propertiesLengthAt);
  if (propertiesLength < 0 || propertiesLengthAt + 2 + propertiesLength !== at + size) {
    throw new MessageDecodeError(`inner lengths do not add up at ${at}`);
  }
  const sysFlag = view.getInt32(at + MESSAGE_LAYOUT.sysFlag);
  let body = bytes.subarray(at + BODY_AT, topicLengthAt);
  if ((sysFlag & MESSAGE_SYS_FLAG.compressed) !== 0) body = inflateBody(body, at);
  const properties = decodeMessageProperties(bytes.toString('utf8', propertiesLengthAt + 2, at + size));
  const commitLogOffset = readLong(view, at + MESSAGE_LAYOUT.physicalOffset);
  const storeHostAt = at + MESSAGE_LAYOUT.storeHost;
  const offsetMsgId = offsetMessageId(bytes, storeHostAt, at + MESSAGE_LAYOUT.physicalOffset);
  const keys = properties[PROPERTY.keys];
  return {
    topic: bytes.toString('latin1', topicLengthAt + 1, propertiesLengthAt),
    queueId: view.getInt32(at + MESSAGE_LAYOUT.queueId),
    queueOffset: readLong(view, at + MESSAGE_LAYOUT.queueOffset),
    commitLogOffset,
    flag: view.getInt32(at + MESSAGE_LAYOUT.flag),
    sysFlag,
    bornTimestamp: readLong(view, at + MESSAGE_LAYOUT.bornTimestamp),
    bornHost: readHost(view, at + MESSAGE_LAYOUT.bornHost),
    storeTimestamp: readLong(view, at + MESSAGE_LAYOUT.storeTimestamp),
    storeHost: readHost(view, storeHostAt),
    reconsumeTimes: view.getInt32(at + MESSAGE_LAYOUT.reconsumeTimes),
    preparedTransactionOffset: readLong(view, at + MESSAGE_LAYOUT.preparedTransactionOffset),
    bodyCrc: view.getUint32(at + MESSAGE_LAYOUT.bodyCrc),
    body,
    properties,
    msgId: properties[PROPERTY.uniqueKey] ?? offsetMsgId,
    offsetMsgId,
    tags: properties[PROPERTY.tags],
    keys: keys === undefined || keys === '' ? NO_KEYS : keys.split(' '),
  };
}

/** A compressed body, inflated; one zlib cannot inflate is a decode error like any other. */
function inflateBody(body: Buffer, at: number): Buffer {
  try {
    // Bounded, so a hostile peer's zip bomb fails to decode instead of exhausting memory.
    return zlib.inflateSync(body, { maxOutputLength: INFLATED_BODY_BYTES_MAX });
  } catch (error) {
    throw new MessageDecodeError(`compressed body does not inflate at ${at}`, { cause: error });
  }
}

function readLong(view: DataView, at: number): number {
  return view.getInt32(at) * TWO_POW_32 + view.getUint32(at + 4);
}

/** 'a.b.c.d:port'; a batch comes from few hosts, so their strings are built once and kept. */
function readHost(view: DataView, at: number): string {
  const ip = view.getUint32(at);
  const port = view.getInt32(at + 4);
  // Keyed by ip, then by the whole int32 port field (garbage from a broken peer included).
  let ports = HOST_NAMES.get(ip);
  if (ports === undefined) {
    if (HOST_NAMES.size >= HOST_NAMES_CACHED_MAX) HOST_NAMES.clear();
    HOST_NAMES.set(ip, (ports = new Map()));
  }
  let host = ports.get(port);
  if (host === undefined) {
    host = `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}:${port}`;
    if (ports.size >= HOST_NAMES_CACHED_MAX) ports.clear();
    ports.set(port, host);
  }
  return host;
}

/**
 * The 32 upper-case hex digits of store host (8 bytes) then commit log offset (8 bytes),
 * written as ASCII into a scratch buffer and read out as one string: one allocation per id.
 */
function offsetMessageId(bytes: Buffer, hostAt: number, offsetAt: number): string {
  for (let i = 0; i < 8; i++) {
    OFFSET_ID_SCRATCH.writeUInt16BE(UPPER_HEX_PAIRS[bytes[hostAt + i]!]!, i * 2);
    OFFSET_ID_SCRATCH.writeUInt16BE(UPPER_HEX_PAIRS[bytes[offsetAt + i]!]!, 16 + i * 2);
  }
  return OFFSET_ID_SCRATCH.toString('latin1', 0, 32);
}
