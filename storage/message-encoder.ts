// Validates an incoming message and turns it into the fields of a record, before anything is
// written: a message either passes every check here or leaves the store untouched.
import { parseHostAddress, type HostAddress } from './host-address.js';
import { normalizeKeyHash } from './index-file.js';
import { javaStringHash } from '../protocol/java-string-hash.js';
import { MESSAGE_SYS_FLAG } from '../protocol/message-sys-flag.js';
import {
  KEY_SEPARATOR,
  PROPERTY,
  NAME_VALUE_SEPARATOR,
  PROPERTY_SEPARATOR,
  findProperty,
  isStorablePropertyText,
  soleUniqueKey,
} from '../protocol/message-properties-codec.js';
import { recordBytes, type RecordFields } from './message-record.js';
import { PROPERTIES_BYTES_MAX, QUEUE_COUNT_MAX } from './storage-constants.js';
import { StoreError } from './store-error.js';
import type { TopicEntry, TopicRegistry } from './topic-registry.js';

/** A message to append, as the storage API fixes it. */
export interface MessageInput {
  topic: string;
  queueId: number;
  body: Uint8Array;
  tags?: string;
  /** One key, several keys, or several keys joined by spaces (RocketMQ's KEYS). */
  keys?: string | readonly string[];
  properties?: Readonly<Record<string, string>>;
  /**
   * Properties already in the record's encoding (`name 0x01 value 0x02` per pair), as a
   * RocketMQ client sends them: stored as given, without decoding and re-encoding them.
   * TAGS, KEYS and UNIQ_KEY are read from it; it excludes `properties`, `tags` and `keys`.
   */
  encodedProperties?: string;
  flag?: number;
  bornTimestamp?: number;
  /** 'a.b.c.d:port' of the producer; the store host when absent. */
  bornHost?: string;
  sysFlag?: number;
  reconsumeTimes?: number;
  preparedTransactionOffset?: number;
}

/** A validated message: the record's fields plus what dispatch needs. */
export interface PreparedMessage extends RecordFields {
  readonly topicEntry: TopicEntry;
  readonly size: number;
  readonly tagsCode: number;
  /** The producer's id (UNIQ_KEY) when the message carries one. */
  readonly uniqueKey: string | undefined;
  /** Index hashes of "topic#UNIQ_KEY" and "topic#key" for each key. */
  readonly keyHashes: number[];
}

/**
 * What the queue and commit log offsets hold until write() assigns them. -0 (equal to 0) is a
 * number V8 cannot keep as a small integer, so these fields are floating point from the
 * object's creation. With 0 they started as small-integer fields, and the first offset past
 * 2^31 (2 GiB of log) turned them into floating-point ones; V8 then deprecated the object
 * literal's shape and had to migrate every later message object to the new one (about 2 us of
 * CPU per message, tripling the store's cost once the log passed 2 GiB; native-bench/README.md,
 * "Produce as the log grows").
 */
const OFFSET_UNASSIGNED = -0;
const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
/** Host-kind bits (IPv6 born/store host) that the v1 IPv4 layout cannot honour. */
const SYS_FLAG_IPV6_HOSTS = MESSAGE_SYS_FLAG.bornHostV6 | MESSAGE_SYS_FLAG.storeHostV6;

export class MessageEncoder {
  constructor(
    private readonly topics: TopicRegistry,
    private readonly storeHost: HostAddress,
    private readonly maxMessageBytes: number,
  ) {}

  prepare(message: MessageInput, nowMs: number): PreparedMessage {
    if (message === null || typeof message !== 'object') throw invalid('message must be an object');
    const topicEntry = this.topics.topic(message.topic);
    const { queueId, body } = message;
    if (!Number.isInteger(queueId) || queueId < 0 || queueId >= QUEUE_COUNT_MAX) {
      throw new StoreError('INVALID_QUEUE_ID', `got ${String(queueId)}`);
    }
    if (!(body instanceof Uint8Array)) throw new StoreError('INVALID_BODY');
    if (body.length > this.maxMessageBytes) {
      throw new StoreError('BODY_TOO_LARGE', `${body.length} > ${this.maxMessageBytes} bytes`);
    }
    const sysFlag = int32Field(message.sysFlag, 'sysFlag');
    if ((sysFlag & SYS_FLAG_IPV6_HOSTS) !== 0) throw invalid('sysFlag IPv6 host bits are not supported');
    const { properties, uniqueKey, keys, tags } = this.encodeMessageProperties(message);
    const propertiesBytes = Buffer.byteLength(properties, 'utf8');
    if (propertiesBytes > PROPERTIES_BYTES_MAX) {
      throw new StoreError('PROPERTIES_TOO_LARGE', `${propertiesBytes} bytes`);
    }
    return {
      topicEntry,
      topic: topicEntry.bytes,
      queueId,
      body,
      flag: int32Field(message.flag, 'flag'),
      sysFlag,
      bornTimestamp: int64Field(message.bornTimestamp, 'bornTimestamp', nowMs),
      bornHost: message.bornHost === undefined ? this.storeHost : parseHostAddress(message.bornHost),
      reconsumeTimes: int32Field(message.reconsumeTimes, 'reconsumeTimes'),
      preparedTransactionOffset: int64Field(message.preparedTransactionOffset, 'preparedTransactionOffset', 0),
      storeHost: this.storeHost,
      queueOffset: OFFSET_UNASSIGNED,
      physicalOffset: OFFSET_UNASSIGNED,
      storeTimestamp: nowMs,
      properties,
      propertiesBytes,
      size: recordBytes(body.length, topicEntry.bytes.length, propertiesBytes),
      tagsCode: tags === undefined ? 0 : javaStringHash(tags),
      uniqueKey,
      keyHashes: this.keyHashes(topicEntry, uniqueKey, keys),
    };
  }

  /**
   * The properties string: the given properties with TAGS and KEYS from their own fields. The
   * store adds no id of its own: a message's id is its offset id (store host + commit log
   * offset, RocketMQ's broker-side msgId), which locates it without any index; a producer's
   * UNIQ_KEY, when present, is kept and indexed.
   */
  private encodeMessageProperties(message: MessageInput): EncodedProperties {
    if (message.encodedProperties !== undefined) return readEncodedProperties(message);
    const given = message.properties;
    let encoded = '';
    let uniqueKey: string | undefined;
    let keys = joinKeys(message.keys);
    let tags = message.tags;
    if (tags !== undefined && (typeof tags !== 'string' || !isStorablePropertyText(tags))) {
      throw new StoreError('INVALID_PROPERTY', 'tags');
    }
    if (given !== undefined) {
      if (given === null || typeof given !== 'object') throw invalid('properties must be an object');
      for (const name in given) {
        const value = given[name];
        // A nameless, valueless pair carries nothing: RocketMQ's decoder drops it, and ali-ons
        // adds one to every message it decodes, so a received message sent on keeps working.
        if (name === '' && value === '') continue;
        if (
          name === '' ||
          typeof value !== 'string' ||
          !isStorablePropertyText(name) ||
          !isStorablePropertyText(value)
        ) {
          throw new StoreError('INVALID_PROPERTY', `'${name.slice(0, 100)}'`);
        }
        if (name === PROPERTY.tags) tags ??= value;
        else if (name === PROPERTY.keys) keys ??= value;
        else {
          if (name === PROPERTY.uniqueKey) uniqueKey = value;
          encoded += name + NAME_VALUE_SEPARATOR + value + PROPERTY_SEPARATOR;
        }
      }
    }
    if (tags !== undefined) encoded += PROPERTY.tags + NAME_VALUE_SEPARATOR + tags + PROPERTY_SEPARATOR;
    if (keys !== undefined) encoded += PROPERTY.keys + NAME_VALUE_SEPARATOR + keys + PROPERTY_SEPARATOR;
    return { properties: encoded, uniqueKey, keys, tags };
  }

  /** Index hashes of "topic#UNIQ_KEY" and "topic#key" per key; empty when there is nothing to index. */
  private keyHashes(topic: TopicEntry, uniqueKey: string | undefined, keys: string | undefined): number[] {
    const hashes: number[] = [];
    if (uniqueKey !== undefined) hashes.push(normalizeKeyHash(javaStringHash(uniqueKey, topic.indexHashSeed)));
    if (keys !== undefined) {
      for (const key of keys.split(KEY_SEPARATOR)) {
        if (key !== '') hashes.push(normalizeKeyHash(javaStringHash(key, topic.indexHashSeed)));
      }
    }
    return hashes;
  }
}

interface EncodedProperties {
  properties: string;
  uniqueKey: string | undefined;
  keys: string | undefined;
  tags: string | undefined;
}

/** Takes an already encoded properties string as it is, reading the three fields the store needs. */
function readEncodedProperties(message: MessageInput): EncodedProperties {
  const encoded = message.encodedProperties;
  if (typeof encoded !== 'string') throw invalid('encodedProperties must be a string');
  if (message.properties !== undefined || message.tags !== undefined || message.keys !== undefined) {
    throw invalid('encodedProperties excludes properties, tags and keys');
  }
  const sole = soleUniqueKey(encoded);
  if (sole !== undefined) return { properties: encoded, uniqueKey: sole, keys: undefined, tags: undefined };
  const keys = findProperty(encoded, PROPERTY.keys);
  return {
    properties: encoded,
    uniqueKey: findProperty(encoded, PROPERTY.uniqueKey),
    keys: keys === '' ? undefined : keys,
    tags: findProperty(encoded, PROPERTY.tags),
  };
}

function joinKeys(keys: string | readonly string[] | undefined): string | undefined {
  if (keys === undefined) return undefined;
  const joined = typeof keys === 'string' ? keys : Array.isArray(keys) ? keys.join(KEY_SEPARATOR) : undefined;
  if (joined === undefined || (typeof keys !== 'string' && keys.some((k) => typeof k !== 'string'))) {
    throw new StoreError('INVALID_PROPERTY', 'keys must be a string or an array of strings');
  }
  if (!isStorablePropertyText(joined)) throw new StoreError('INVALID_PROPERTY', 'keys');
  return joined === '' ? undefined : joined;
}

function int32Field(value: number | undefined, name: string): number {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) throw invalid(`${name} must be an int32`);
  return value;
}

function int64Field(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw invalid(`${name} must be a non-negative safe integer`);
  return value;
}

function invalid(detail: string): StoreError {
  return new StoreError('INVALID_MESSAGE', detail);
}
