// Decodes the records of a pull response body (or a check-back request): RocketMQ's v1 record
// layout (the table in message-record-layout.ts, the store's too), concatenated.
//
// Every length is checked when a body is decoded, so a malformed body fails there, whole, with
// a MessageDecodeError. The fields are then decoded in two steps (see RecordMessage): numbers,
// body and topic at once; properties (and tags, keys and msgId, which come from them), the two
// hosts and the offset id on first access. A consumer that reads only the body and a timestamp
// never pays for the rest, which was most of the decoding cost (a properties object, two host
// strings and a 32-character id per message).
import zlib from 'node:zlib';
import { inspect } from 'node:util';

import { RECORD_FIXED_BYTES, RECORD_LAYOUT } from './message-record-layout.js';
import { MESSAGE_SYS_FLAG } from './message-sys-flag.js';
import { PROPERTY, decodeMessageProperties } from './message-properties-codec.js';

const FIXED_BYTES = RECORD_FIXED_BYTES;
const BODY_AT = RECORD_LAYOUT.body;
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
/**
 * Largest body a compressed one may inflate to: four times the 4 MiB default message limit.
 * The consumer refuses to inflate past it, and the producer refuses to compress a body larger
 * than it, so whatever a Tributary producer sends a Tributary consumer can read.
 */
export const INFLATED_BODY_BYTES_MAX = 16 * 1024 * 1024;

export class MessageDecodeError extends Error {
  override readonly name = 'MessageDecodeError';
}

/**
 * A record whose frame is sound but whose message is not (a compressed body that does not
 * inflate or inflates past INFLATED_BODY_BYTES_MAX, or inner lengths that do not add up). Its
 * fixed fields still say which message it is, so a consumer can report it and send it back.
 */
export interface UndecodableRecord {
  /** The record's topic, or undefined when even its length is wrong. */
  readonly topic: string | undefined;
  readonly queueId: number;
  readonly queueOffset: number;
  readonly commitLogOffset: number;
  readonly reconsumeTimes: number;
  /** The offset id (store host + commit log offset), the one id that needs no properties. */
  readonly offsetMsgId: string;
  /** The record's bytes, for the prefetch byte count. */
  readonly body: Buffer;
  readonly error: MessageDecodeError;
  /**
   * When only the body failed to inflate: the message with its body as stored (still
   * compressed, the compressed SYSFLAG bit kept), for listings such as a DLQ's.
   */
  readonly asStored: ReceivedMessage | undefined;
}

/** A pull body decoded record by record; one bad record does not spoil the others. */
export interface DecodedRecords {
  /** In record order: messages and the records that did not decode. */
  readonly records: (ReceivedMessage | UndecodableRecord)[];
  /** Set when a record's frame (its total size) is broken: nothing after it could be read. */
  readonly broken: MessageDecodeError | undefined;
}

export function isUndecodable(record: ReceivedMessage | UndecodableRecord): record is UndecodableRecord {
  return 'error' in record;
}

/**
 * A message received from a broker.
 *
 * Messages the client decodes are RecordMessage instances: topic, body and the numeric fields
 * are own properties; bornHost, storeHost, properties, msgId, offsetMsgId, tags and keys are
 * getters on the prototype, decoded on first access and then kept. Reading any field works as
 * on a plain object, and JSON.stringify and util.inspect show every field; but object spread
 * (`{ ...message }`), Object.keys and structuredClone see only the own properties. To copy a
 * message with every field, spread `receivedMessageFields(message)` instead.
 */
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

/** Every field of `message` as a plain object (a snapshot: lazy fields are decoded now). */
export function receivedMessageFields(message: ReceivedMessage): ReceivedMessage {
  return {
    topic: message.topic,
    queueId: message.queueId,
    queueOffset: message.queueOffset,
    commitLogOffset: message.commitLogOffset,
    flag: message.flag,
    sysFlag: message.sysFlag,
    bornTimestamp: message.bornTimestamp,
    bornHost: message.bornHost,
    storeTimestamp: message.storeTimestamp,
    storeHost: message.storeHost,
    reconsumeTimes: message.reconsumeTimes,
    preparedTransactionOffset: message.preparedTransactionOffset,
    bodyCrc: message.bodyCrc,
    body: message.body,
    properties: message.properties,
    msgId: message.msgId,
    offsetMsgId: message.offsetMsgId,
    tags: message.tags,
    keys: message.keys,
  };
}

/**
 * Decodes every record it can: a record whose frame is sound but whose message does not decode
 * becomes an UndecodableRecord; a broken frame ends the walk (`broken`), keeping what came before.
 */
export function decodeRecords(bytes: Buffer): DecodedRecords {
  const records: (ReceivedMessage | UndecodableRecord)[] = [];
  const body = new PullBody(bytes);
  const view = body.view;
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < FIXED_BYTES)
      return { records, broken: new MessageDecodeError(`truncated record at ${at}`) };
    const size = view.getInt32(at);
    if (size < FIXED_BYTES || size > bytes.length - at)
      return { records, broken: new MessageDecodeError(`bad record length ${size} at ${at}`) };
    try {
      records.push(decodeOne(body, at, size));
    } catch (error) {
      if (!(error instanceof MessageDecodeError)) throw error;
      let asStored: ReceivedMessage | undefined;
      try {
        asStored = decodeOne(new PullBody(bytes), at, size, false);
      } catch {
        asStored = undefined; // Its inner lengths are wrong too: only the fixed fields can be read.
      }
      records.push(undecodableRecord(bytes, view, at, size, error, asStored));
    }
    at += size;
  }
  return { records, broken: undefined };
}

/** What the fixed fields of a record that did not decode still tell (they lie inside its frame). */
function undecodableRecord(
  bytes: Buffer,
  view: DataView,
  at: number,
  size: number,
  error: MessageDecodeError,
  asStored: ReceivedMessage | undefined,
): UndecodableRecord {
  const bodyLength = view.getInt32(at + RECORD_LAYOUT.bodyLength);
  const topicLengthAt = at + BODY_AT + bodyLength;
  const topicFits =
    bodyLength >= 0 && topicLengthAt + 1 <= at + size && topicLengthAt + 1 + bytes[topicLengthAt]! <= at + size;
  return {
    topic: topicFits
      ? bytes.toString('latin1', topicLengthAt + 1, topicLengthAt + 1 + bytes[topicLengthAt]!)
      : undefined,
    queueId: view.getInt32(at + RECORD_LAYOUT.queueId),
    queueOffset: readLong(view, at + RECORD_LAYOUT.queueOffset),
    commitLogOffset: readLong(view, at + RECORD_LAYOUT.physicalOffset),
    reconsumeTimes: view.getInt32(at + RECORD_LAYOUT.reconsumeTimes),
    offsetMsgId: offsetMessageId(bytes, at + RECORD_LAYOUT.storeHost, at + RECORD_LAYOUT.physicalOffset),
    body: bytes.subarray(at, at + size),
    error,
    asStored,
  };
}

export function decodeMessages(bytes: Buffer): ReceivedMessage[] {
  const messages: ReceivedMessage[] = [];
  const body = new PullBody(bytes);
  const view = body.view;
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < FIXED_BYTES) throw new MessageDecodeError(`truncated record at ${at}`);
    const size = view.getInt32(at);
    if (size < FIXED_BYTES || size > bytes.length - at)
      throw new MessageDecodeError(`bad record length ${size} at ${at}`);
    messages.push(decodeOne(body, at, size));
    at += size;
  }
  return messages;
}

/** Checks the record's inner lengths and decodes it, inflating a compressed body unless told not to. */
function decodeOne(source: PullBody, at: number, size: number, inflate = true): RecordMessage {
  const { bytes, view } = source;
  const bodyLength = view.getInt32(at + RECORD_LAYOUT.bodyLength);
  const topicLengthAt = at + BODY_AT + bodyLength;
  if (bodyLength < 0 || topicLengthAt + 1 > at + size) throw new MessageDecodeError(`bad body length at ${at}`);
  const topicLength = view.getUint8(topicLengthAt);
  const propertiesLengthAt = topicLengthAt + 1 + topicLength;
  if (propertiesLengthAt + 2 > at + size) throw new MessageDecodeError(`bad topic length at ${at}`);
  const propertiesLength = view.getInt16(propertiesLengthAt);
  if (propertiesLength < 0 || propertiesLengthAt + 2 + propertiesLength !== at + size) {
    throw new MessageDecodeError(`inner lengths do not add up at ${at}`);
  }
  const sysFlag = view.getInt32(at + RECORD_LAYOUT.sysFlag);
  let body = source.slice(at + BODY_AT, bodyLength);
  if (inflate && (sysFlag & MESSAGE_SYS_FLAG.compressed) !== 0) body = inflateBody(body, at);
  const topic = source.topicAt(topicLengthAt + 1, topicLength);
  return new RecordMessage(bytes, view, at, topic, body, sysFlag);
}

/**
 * Node's own Buffer constructor for a view of an ArrayBuffer (what Buffer's typed-array methods
 * build their results with): a Buffer like any other, made without `subarray`'s argument checks
 * and its two getter reads, which cost twice the view itself per message. Should a Node version
 * not offer it, Buffer.from builds the same view.
 */
type BufferViewConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => Buffer;
const BufferView = bufferViewConstructor();

function bufferViewConstructor(): BufferViewConstructor {
  const species = (Buffer as unknown as Record<symbol, unknown>)[Symbol.species];
  if (typeof species === 'function') {
    const view = new (species as BufferViewConstructor)(new ArrayBuffer(2), 1, 1);
    if (Buffer.isBuffer(view) && view.byteOffset === 1 && view.length === 1) return species as BufferViewConstructor;
  }
  return function from(buffer: ArrayBufferLike, byteOffset: number, length: number): Buffer {
    return Buffer.from(buffer, byteOffset, length);
  } as unknown as BufferViewConstructor;
}

/**
 * One pull answer being decoded: its bytes and views of them, and the topic string of the
 * record decoded last. Its records are one queue's, so nearly always of one topic: a record's
 * topic bytes are compared with the previous record's, four at a time, and when equal the
 * previous string is used again (no string built per message).
 */
class PullBody {
  readonly view: DataView;
  readonly #buffer: ArrayBufferLike;
  readonly #byteOffset: number;
  /** Where the last record's topic bytes are, their length and its string. */
  private lastTopicAt = 0;
  private lastTopicLength = -1;
  private lastTopic = '';

  constructor(readonly bytes: Buffer) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    this.#buffer = bytes.buffer;
    this.#byteOffset = bytes.byteOffset;
  }

  /** `length` bytes from `at`, as a Buffer over the same memory (checked by the caller). */
  slice(at: number, length: number): Buffer {
    return new BufferView(this.#buffer, this.#byteOffset + at, length);
  }

  topicAt(at: number, length: number): string {
    const { bytes, view } = this;
    const previousAt = this.lastTopicAt;
    this.lastTopicAt = at;
    let same = length === this.lastTopicLength;
    let i = 0;
    for (; same && i + 4 <= length; i += 4) same = view.getInt32(previousAt + i) === view.getInt32(at + i);
    for (; same && i < length; i++) same = bytes[previousAt + i] === bytes[at + i];
    if (!same) {
      this.lastTopicLength = length;
      this.lastTopic = bytes.toString('latin1', at, at + length);
    }
    return this.lastTopic;
  }
}

/**
 * A received message over its record's bytes (which it keeps, as its body already does). The
 * costly fields are getters that decode on first access and keep the result.
 */
export class RecordMessage implements ReceivedMessage {
  // Defined fields (undefined first, then the value), not `declare`d ones: a field that starts
  // as undefined stays tagged, so a number field seeing both small integers and doubles (body
  // CRC, commit log offset) boxes only the doubles; declared, it became a double field boxing
  // every value (~35% more scavenges when decoding, native-bench/README.md, round 5).
  readonly topic: string;
  readonly queueId: number;
  readonly queueOffset: number;
  readonly commitLogOffset: number;
  readonly flag: number;
  readonly sysFlag: number;
  readonly bornTimestamp: number;
  readonly storeTimestamp: number;
  readonly reconsumeTimes: number;
  readonly preparedTransactionOffset: number;
  readonly bodyCrc: number;
  readonly body: Buffer;
  readonly #bytes: Buffer;
  /** Where the record starts in #bytes; the lazy fields find theirs from it. */
  readonly #at: number;
  #properties: Readonly<Record<string, string>> | undefined;
  #offsetMsgId: string | undefined;
  #keys: readonly string[] | undefined;

  constructor(bytes: Buffer, view: DataView, at: number, topic: string, body: Buffer, sysFlag: number) {
    this.topic = topic;
    this.queueId = view.getInt32(at + RECORD_LAYOUT.queueId);
    this.queueOffset = readLong(view, at + RECORD_LAYOUT.queueOffset);
    this.commitLogOffset = readLong(view, at + RECORD_LAYOUT.physicalOffset);
    this.flag = view.getInt32(at + RECORD_LAYOUT.flag);
    this.sysFlag = sysFlag;
    this.bornTimestamp = readLong(view, at + RECORD_LAYOUT.bornTimestamp);
    this.storeTimestamp = readLong(view, at + RECORD_LAYOUT.storeTimestamp);
    this.reconsumeTimes = view.getInt32(at + RECORD_LAYOUT.reconsumeTimes);
    this.preparedTransactionOffset = readLong(view, at + RECORD_LAYOUT.preparedTransactionOffset);
    this.bodyCrc = view.getUint32(at + RECORD_LAYOUT.checksum);
    this.body = body;
    this.#bytes = bytes;
    this.#at = at;
  }

  get bornHost(): string {
    return readHost(this.#bytes, this.#at + RECORD_LAYOUT.bornHost);
  }

  get storeHost(): string {
    return readHost(this.#bytes, this.#at + RECORD_LAYOUT.storeHost);
  }

  get properties(): Readonly<Record<string, string>> {
    if (this.#properties === undefined) {
      const bytes = this.#bytes;
      const propertiesLengthAt = this.#topicAt() + bytes[this.#topicAt() - 1]!;
      const end = this.#at + bytes.readInt32BE(this.#at);
      this.#properties = decodeMessageProperties(bytes.toString('utf8', propertiesLengthAt + 2, end));
    }
    return this.#properties;
  }

  get msgId(): string {
    return this.properties[PROPERTY.uniqueKey] ?? this.offsetMsgId;
  }

  get offsetMsgId(): string {
    this.#offsetMsgId ??= offsetMessageId(
      this.#bytes,
      this.#at + RECORD_LAYOUT.storeHost,
      this.#at + RECORD_LAYOUT.physicalOffset,
    );
    return this.#offsetMsgId;
  }

  get tags(): string | undefined {
    return this.properties[PROPERTY.tags];
  }

  get keys(): readonly string[] {
    if (this.#keys === undefined) {
      const keys = this.properties[PROPERTY.keys];
      this.#keys = keys === undefined || keys === '' ? NO_KEYS : keys.split(' ');
    }
    return this.#keys;
  }

  /** Where the topic's bytes start in #bytes (its length byte is just before). */
  #topicAt(): number {
    return this.#at + BODY_AT + this.#bytes.readInt32BE(this.#at + RECORD_LAYOUT.bodyLength) + 1;
  }

  /** Every field, for JSON.stringify. */
  toJSON(): ReceivedMessage {
    return receivedMessageFields(this);
  }

  /** Every field, for console.log and util.inspect. */
  [inspect.custom](depth: number, options: object): string {
    return `RecordMessage ${inspect(receivedMessageFields(this), { ...options, depth })}`;
  }
}

/** A compressed body, inflated; one zlib cannot inflate is a decode error like any other. */
function inflateBody(body: Buffer, at: number): Buffer {
  try {
    // Bounded, so a hostile peer's zip bomb fails to decode instead of exhausting memory.
    return zlib.inflateSync(body, { maxOutputLength: INFLATED_BODY_BYTES_MAX });
  } catch (error) {
    const tooLarge = (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE';
    const what = tooLarge ? `inflates past ${INFLATED_BODY_BYTES_MAX} bytes` : 'does not inflate';
    throw new MessageDecodeError(`compressed body ${what} at ${at}`, { cause: error });
  }
}

function readLong(view: DataView, at: number): number {
  return view.getInt32(at) * TWO_POW_32 + view.getUint32(at + 4);
}

/** 'a.b.c.d:port'; a batch comes from few hosts, so their strings are built once and kept. */
function readHost(bytes: Buffer, at: number): string {
  const ip = bytes.readUInt32BE(at);
  const port = bytes.readInt32BE(at + 4);
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
    const host = UPPER_HEX_PAIRS[bytes[hostAt + i]!]!;
    const offset = UPPER_HEX_PAIRS[bytes[offsetAt + i]!]!;
    OFFSET_ID_SCRATCH[i * 2] = host >>> 8;
    OFFSET_ID_SCRATCH[i * 2 + 1] = host & 255;
    OFFSET_ID_SCRATCH[16 + i * 2] = offset >>> 8;
    OFFSET_ID_SCRATCH[16 + i * 2 + 1] = offset & 255;
  }
  return OFFSET_ID_SCRATCH.toString('latin1', 0, 32);
}
