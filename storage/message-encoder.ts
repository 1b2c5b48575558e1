// Validates an incoming message and turns it into the fields of a record, before anything is
// written: a message either passes every check here or leaves the store untouched.
import { parseHostAddress, type HostAddress } from './host-address.js';
import { normalizeKeyHash } from './index-file.js';
import { javaStringHash } from './java-string-hash.js';
import {
  KEY_SEPARATOR,
  MESSAGE_PROPERTIES,
  NAME_VALUE_SEPARATOR,
  PROPERTY_SEPARATOR,
  isStorablePropertyText,
} from './message-properties.js';
import { recordBytes, type RecordFields } from './message-record.js';
import { PROPERTIES_BYTES_MAX, QUEUE_COUNT_MAX } from './storage-constants.js';
import { StoreError } from './store-error.js';
import type { TopicEntry, TopicRegistry } from './topic-registry.js';
import { UNIQUE_KEY_PROPERTY_ID_END, UNIQUE_KEY_PROPERTY_ID_START, type UniqueMessageId } from './unique-message-id.js';

/** A message to append, as DESIGN §2 fixes it. */
export interface MessageInput {
  topic: string;
  queueId: number;
  body: Uint8Array;
  tags?: string;
  /** One key, several keys, or several keys joined by spaces (RocketMQ's KEYS). */
  keys?: string | readonly string[];
  properties?: Readonly<Record<string, string>>;
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
  readonly uniqueKey: string;
  /** Index hashes of "topic#UNIQ_KEY" and "topic#key" for each key. */
  readonly keyHashes: number[];
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
/** Transaction type bits of SYSFLAG (RocketMQ: 0 none, 0x4 prepared, 0x8 commit, 0xC rollback). */
export const SYS_FLAG_TRANSACTION_MASK = 0xc;
export const SYS_FLAG_TRANSACTION_PREPARED = 0x4;
export const SYS_FLAG_TRANSACTION_ROLLBACK = 0xc;
/** Host-kind bits (IPv6 born/store host) that the v1 IPv4 layout cannot honour. */
const SYS_FLAG_IPV6_HOSTS = 0x30;

export class MessageEncoder {
  constructor(
    private readonly topics: TopicRegistry,
    private readonly ids: UniqueMessageId,
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
    const { properties, uniqueKey, keys, tags } = this.encodeProperties(message, nowMs);
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
      queueOffset: 0,
      physicalOffset: 0,
      storeTimestamp: nowMs,
      properties,
      propertiesBytes,
      size: recordBytes(body.length, topicEntry.bytes.length, propertiesBytes),
      tagsCode: tags === undefined ? 0 : javaStringHash(tags),
      uniqueKey,
      keyHashes: this.keyHashes(topicEntry, uniqueKey, keys),
    };
  }

  private encodeProperties(
    message: MessageInput,
    nowMs: number,
  ): { properties: string; uniqueKey: string; keys: string | undefined; tags: string | undefined } {
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
        const storable = typeof value === 'string' && isStorablePropertyText(name) && isStorablePropertyText(value);
        if (name === '' || !storable) {
          throw new StoreError('INVALID_PROPERTY', `'${name.slice(0, 100)}'`);
        }
        if (name === MESSAGE_PROPERTIES.uniqueKey) uniqueKey = value;
        else if (name === MESSAGE_PROPERTIES.tags) tags ??= value;
        else if (name === MESSAGE_PROPERTIES.keys) keys ??= value;
        else encoded += name + NAME_VALUE_SEPARATOR + value + PROPERTY_SEPARATOR;
      }
    }
    if (tags !== undefined) encoded += MESSAGE_PROPERTIES.tags + NAME_VALUE_SEPARATOR + tags + PROPERTY_SEPARATOR;
    if (keys !== undefined) encoded += MESSAGE_PROPERTIES.keys + NAME_VALUE_SEPARATOR + keys + PROPERTY_SEPARATOR;
    if (uniqueKey === undefined) {
      // One flat string for the common case of a message with no other properties.
      const property = this.ids.nextProperty(nowMs);
      uniqueKey = property.slice(UNIQUE_KEY_PROPERTY_ID_START, UNIQUE_KEY_PROPERTY_ID_END);
      encoded += property;
    } else {
      encoded += MESSAGE_PROPERTIES.uniqueKey + NAME_VALUE_SEPARATOR + uniqueKey + PROPERTY_SEPARATOR;
    }
    return { properties: encoded, uniqueKey, keys, tags };
  }

  private keyHashes(topic: TopicEntry, uniqueKey: string, keys: string | undefined): number[] {
    const hashes = [normalizeKeyHash(this.uniqueKeyHash(topic, uniqueKey))];
    if (keys !== undefined) {
      for (const key of keys.split(KEY_SEPARATOR)) {
        if (key !== '') hashes.push(normalizeKeyHash(javaStringHash(key, topic.indexHashSeed)));
      }
    }
    return hashes;
  }

  /** Hash of "topic#id"; ids this store generated share a prefix whose hash is cached. */
  private uniqueKeyHash(topic: TopicEntry, uniqueKey: string): number {
    const { prefix } = this.ids;
    if (!uniqueKey.startsWith(prefix)) return javaStringHash(uniqueKey, topic.indexHashSeed);
    topic.generatedIdSeed ??= javaStringHash(prefix, topic.indexHashSeed);
    return javaStringHash(uniqueKey, topic.generatedIdSeed, prefix.length);
  }
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
