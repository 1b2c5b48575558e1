// Encodes one message in RocketMQ's v1 record layout (the table in
// message-record-layout.ts), for a broker that sends a message it rebuilt instead of the bytes it
// stored: a transaction check-back (CHECK_TRANSACTION_STATE) carries the half message with its
// real topic and queue restored (as RocketMQ's check-back does). BODYCRC is the store's
// CRC-32C of bytes [12, TOTALSIZE), so a record re-encoded unchanged equals the stored bytes.
import crc32c from 'fast-crc32c';

import {
  MAGIC_MESSAGE_V1,
  RECORD_FIXED_BYTES,
  RECORD_LAYOUT,
  RECORD_TOPIC_BYTES_MAX,
} from './message-record-layout.js';
import { encodeMessageProperties } from './message-properties-codec.js';

const PROPERTIES_BYTES_MAX = 32_767;
const HOST_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})$/;

export class MessageEncodeError extends Error {
  override readonly name = 'MessageEncodeError';
}

/** The fields of a record; hosts as 'a.b.c.d:port', the body as stored (maybe compressed). */
export interface MessageRecord {
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
  readonly body: Uint8Array;
  readonly properties: Readonly<Record<string, string>>;
}

export function encodeMessage(record: MessageRecord): Buffer {
  const topic = Buffer.from(record.topic, 'latin1');
  const properties = Buffer.from(encodeMessageProperties(record.properties), 'utf8');
  if (topic.length > RECORD_TOPIC_BYTES_MAX) throw new MessageEncodeError(`topic of ${topic.length} bytes`);
  if (properties.length > PROPERTIES_BYTES_MAX)
    throw new MessageEncodeError(`properties of ${properties.length} bytes`);
  const size = RECORD_FIXED_BYTES + record.body.length + topic.length + properties.length;
  const bytes = Buffer.alloc(size);
  const L = RECORD_LAYOUT;
  bytes.writeInt32BE(size, L.totalSize);
  bytes.writeUInt32BE(MAGIC_MESSAGE_V1, L.magic);
  bytes.writeInt32BE(record.queueId, L.queueId);
  bytes.writeInt32BE(record.flag, L.flag);
  bytes.writeBigInt64BE(BigInt(record.queueOffset), L.queueOffset);
  bytes.writeBigInt64BE(BigInt(record.commitLogOffset), L.physicalOffset);
  bytes.writeInt32BE(record.sysFlag, L.sysFlag);
  bytes.writeBigInt64BE(BigInt(record.bornTimestamp), L.bornTimestamp);
  writeHost(bytes, L.bornHost, record.bornHost);
  bytes.writeBigInt64BE(BigInt(record.storeTimestamp), L.storeTimestamp);
  writeHost(bytes, L.storeHost, record.storeHost);
  bytes.writeInt32BE(record.reconsumeTimes, L.reconsumeTimes);
  bytes.writeBigInt64BE(BigInt(record.preparedTransactionOffset), L.preparedTransactionOffset);
  bytes.writeInt32BE(record.body.length, L.bodyLength);
  bytes.set(record.body, L.body);
  let at = L.body + record.body.length;
  bytes.writeUInt8(topic.length, at);
  topic.copy(bytes, at + 1);
  at += 1 + topic.length;
  bytes.writeInt16BE(properties.length, at);
  properties.copy(bytes, at + 2);
  bytes.writeUInt32BE(crc32c.calculate(bytes.subarray(L.queueId)) >>> 0, L.checksum);
  return bytes;
}

/** An IPv4 'a.b.c.d:port' as the layout's 4-byte address and int32 port. */
function writeHost(bytes: Buffer, at: number, host: string): void {
  const match = HOST_PATTERN.exec(host);
  if (match === null) throw new MessageEncodeError(`host '${host.slice(0, 100)}' is not a.b.c.d:port`);
  for (let i = 0; i < 4; i++) {
    const octet = Number(match[i + 1]);
    if (octet > 255) throw new MessageEncodeError(`host '${host}' has an octet over 255`);
    bytes.writeUInt8(octet, at + i);
  }
  bytes.writeInt32BE(Number(match[5]), at + 4);
}
