// A message as a producer gives it, checked and turned into what goes on the wire: the body as
// a Buffer (zlib-compressed past compressOverBytes, as RocketMQ producers do) and the
// properties string with TAGS, KEYS, UNIQ_KEY, DELAY and TIMER_DELIVER_MS. A transaction's
// half message also carries TRAN_MSG and PGROUP and the prepared SYSFLAG bits. A body that
// would be compressed must not be larger than a consumer inflates (INFLATED_BODY_BYTES_MAX),
// or no consumer could read it; a compressed body is sent alone, since a batch has one SYSFLAG
// for all its messages and would lose the compressed bit.
import zlib from 'node:zlib';

import { ClientError } from '../client-error.js';
import { MESSAGE_SYS_FLAG } from '../../protocol/message-sys-flag.js';
import { INFLATED_BODY_BYTES_MAX } from '../../protocol/message-decoder.js';
import {
  NAME_VALUE_SEPARATOR,
  PROPERTY,
  PROPERTY_SEPARATOR,
  encodeMessageProperties,
} from '../../protocol/message-properties-codec.js';
import type { UniqueMessageId } from './unique-message-id.js';
import { isValidTopic } from '../../protocol/name-rules.js';

/**
 * A message to send: topic and body are required. Tags, keys, properties, a sharding key and a
 * delay are optional.
 */
export interface Message {
  topic: string;
  body: Buffer | Uint8Array | string;
  tags?: string;
  keys?: string | readonly string[];
  properties?: Readonly<Record<string, string>>;
  /** Messages with the same sharding key go to the same queue, in send order. */
  shardingKey?: string;
  /** One of the broker's delay levels (1 = 1 s ... 18 = 2 h by default). */
  delayLevel?: number;
  /**
   * Deliver at this time, in ms since the epoch (sent as TIMER_DELIVER_MS); at most 3 days
   * ahead. A time already past is delivered at once. Not together with delayLevel.
   */
  deliverAt?: number;
  flag?: number;
}

export interface OutgoingMessage {
  readonly topic: string;
  readonly body: Buffer;
  readonly properties: string;
  /** The properties' UTF-8 length, known here so a batch's encoder need not measure it. */
  readonly propertiesBytes: number;
  readonly flag: number;
  readonly sysFlag: number;
  readonly uniqueKey: string;
  /** May share a SEND_BATCH_MESSAGE with others: not delayed, not transactional. */
  readonly batchable: boolean;
  /** A transaction's half message (TRAN_MSG, prepared SYSFLAG bits). */
  readonly transactional: boolean;
  readonly shardingKey: string | undefined;
}

const SEPARATORS = /[\u0001\u0002]/;
const ZLIB_LEVEL = 5;
/** The last topic that passed isValidTopic: a producer sends to few topics, most often the same. */
let lastValidTopic: string | undefined;

export function prepareOutgoing(
  message: Message,
  ids: UniqueMessageId,
  maxMessageBytes: number,
  compressOverBytes: number,
  /** The producer group, for a transaction's half message. */
  transactionGroup?: string,
): OutgoingMessage {
  if (message === null || typeof message !== 'object') throw invalid('a message must be an object');
  checkTopic(message.topic);
  const body = bodyOf(message, maxMessageBytes);
  if (isPlain(message, transactionGroup, body.length, compressOverBytes)) return plainOutgoing(message, body, ids);
  return outgoingWithProperties(message, body, ids.next(), compressOverBytes, transactionGroup);
}

function checkTopic(topic: string): void {
  if (topic === lastValidTopic) return;
  if (!isValidTopic(topic)) throw invalid(`invalid topic '${String(topic)}'`);
  lastValidTopic = topic;
}

/** The body as a Buffer (a Uint8Array's memory shared, not copied), at most maxMessageBytes. */
function bodyOf(message: Message, maxMessageBytes: number): Buffer {
  const body = Buffer.isBuffer(message.body)
    ? message.body
    : typeof message.body === 'string'
      ? Buffer.from(message.body)
      : message.body instanceof Uint8Array
        ? Buffer.from(message.body.buffer, message.body.byteOffset, message.body.length)
        : undefined;
  if (body === undefined) throw invalid('body must be a Buffer, Uint8Array or string');
  if (body.length > maxMessageBytes) throw invalid(`body of ${body.length} bytes exceeds ${maxMessageBytes}`);
  return body;
}

/** Any message but a plain one: its properties built and encoded, its body maybe compressed. */
function outgoingWithProperties(
  message: Message,
  body: Buffer,
  uniqueKey: string,
  compressOverBytes: number,
  transactionGroup: string | undefined,
): OutgoingMessage {
  const properties = userProperties(message);
  const delayed = addDelay(properties, message);
  properties[PROPERTY.uniqueKey] = uniqueKey;
  let sysFlag = 0;
  if (transactionGroup !== undefined) {
    if (delayed) throw invalid('a transactional message cannot be delayed');
    properties[PROPERTY.transactionPrepared] = 'true';
    properties[PROPERTY.producerGroup] = transactionGroup;
    sysFlag |= MESSAGE_SYS_FLAG.transactionPrepared;
  }
  const compressed = body.length > compressOverBytes ? compressedBody(body) : undefined;
  if (compressed !== undefined) sysFlag |= MESSAGE_SYS_FLAG.compressed;
  const encoded = encodeMessageProperties(properties);
  return {
    topic: message.topic,
    body: compressed ?? body,
    properties: encoded,
    propertiesBytes: Buffer.byteLength(encoded, 'utf8'),
    flag: message.flag ?? 0,
    sysFlag,
    uniqueKey,
    batchable: !delayed && transactionGroup === undefined && compressed === undefined,
    transactional: transactionGroup !== undefined,
    shardingKey: message.shardingKey,
  };
}

/** The message's own properties, then its tags and keys, each checked. */
function userProperties(message: Message): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.properties ?? {})) {
    if (typeof value !== 'string' || SEPARATORS.test(name) || SEPARATORS.test(value) || name === '')
      throw invalid(`property '${name}'`);
    properties[name] = value;
  }
  if (message.tags !== undefined) properties[PROPERTY.tags] = checkedText(message.tags, 'tags');
  const keys =
    message.keys === undefined ? undefined : typeof message.keys === 'string' ? message.keys : message.keys.join(' ');
  if (keys !== undefined && keys !== '') properties[PROPERTY.keys] = checkedText(keys, 'keys');
  return properties;
}

/** Adds DELAY or TIMER_DELIVER_MS (never both); returns whether the message is delayed. */
function addDelay(properties: Record<string, string>, message: Message): boolean {
  const leveled = message.delayLevel !== undefined && message.delayLevel > 0;
  if (leveled) {
    if (!Number.isInteger(message.delayLevel)) throw invalid('delayLevel must be an integer');
    properties[PROPERTY.delayLevel] = String(message.delayLevel);
  }
  if (message.deliverAt !== undefined) {
    if (!Number.isSafeInteger(message.deliverAt) || message.deliverAt < 0)
      throw invalid('deliverAt must be a time in ms since the epoch (an integer)');
    if (leveled) throw invalid('give either delayLevel or deliverAt, not both');
    properties[PROPERTY.timerDeliverMs] = String(message.deliverAt);
  }
  return leveled || message.deliverAt !== undefined;
}

/** Where the id starts in UniqueMessageId.nextAsProperty()'s `UNIQ_KEY 0x01 <id> 0x02`. */
const UNIQUE_KEY_AT = PROPERTY.uniqueKey.length + NAME_VALUE_SEPARATOR.length;

/**
 * A message with nothing but a topic and a body (and maybe a flag or sharding key): its only
 * property is UNIQ_KEY, so its properties string comes whole from the id generator, as
 * encodeMessageProperties would build it from `{ UNIQ_KEY }`, without the object in between.
 */
function isPlain(message: Message, group: string | undefined, bodyBytes: number, compressOver: number): boolean {
  return (
    message.properties === undefined &&
    message.tags === undefined &&
    message.keys === undefined &&
    message.delayLevel === undefined &&
    message.deliverAt === undefined &&
    group === undefined &&
    bodyBytes <= compressOver
  );
}

function plainOutgoing(message: Message, body: Buffer, ids: UniqueMessageId): OutgoingMessage {
  const properties = ids.nextAsProperty();
  return {
    topic: message.topic,
    body,
    properties,
    // The id generator's output is ASCII: one byte per character.
    propertiesBytes: properties.length,
    flag: message.flag ?? 0,
    sysFlag: 0,
    uniqueKey: properties.slice(UNIQUE_KEY_AT, properties.length - PROPERTY_SEPARATOR.length),
    batchable: true,
    transactional: false,
    shardingKey: message.shardingKey,
  };
}

/** The body deflated, or undefined when that does not make it smaller. */
function compressedBody(body: Buffer): Buffer | undefined {
  // A consumer inflates at most INFLATED_BODY_BYTES_MAX: past it, the message could never be read.
  if (body.length > INFLATED_BODY_BYTES_MAX)
    throw invalid(
      `body of ${body.length} bytes would be compressed, but a consumer inflates at most ${INFLATED_BODY_BYTES_MAX}`,
    );
  const compressed = zlib.deflateSync(body, { level: ZLIB_LEVEL });
  return compressed.length < body.length ? compressed : undefined;
}

function checkedText(text: unknown, name: string): string {
  if (typeof text !== 'string' || SEPARATORS.test(text))
    throw invalid(`${name} must be a string without \\u0001 or \\u0002`);
  return text;
}

function invalid(detail: string): ClientError {
  return new ClientError('INVALID_ARGUMENT', detail);
}
