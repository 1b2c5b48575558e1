// The properties string of a message, on the wire and in the stored record: `name 0x01 value 0x02` per pair, the last
// pair also ending in 0x02. Decoding is lenient as ali-ons and Java are: empty items are
// skipped and an item without 0x01 gets an empty value.

export const NAME_VALUE_SEPARATOR = '\u0001';
export const PROPERTY_SEPARATOR = '\u0002';
const NAME_VALUE_SEPARATOR_CODE = NAME_VALUE_SEPARATOR.charCodeAt(0);
const PROPERTY_SEPARATOR_CODE = PROPERTY_SEPARATOR.charCodeAt(0);
/** KEYS holds several keys joined by a space. */
export const KEY_SEPARATOR = ' ';

/** Property names with a meaning to the store, broker or clients (RocketMQ's spelling). */
export const PROPERTY = {
  uniqueKey: 'UNIQ_KEY',
  keys: 'KEYS',
  tags: 'TAGS',
  waitStoreOk: 'WAIT',
  delayLevel: 'DELAY',
  realTopic: 'REAL_TOPIC',
  realQueueId: 'REAL_QID',
  transactionPrepared: 'TRAN_MSG',
  producerGroup: 'PGROUP',
  retryTopic: 'RETRY_TOPIC',
  originMessageId: 'ORIGIN_MESSAGE_ID',
  maxReconsumeTimes: 'MAX_RECONSUME_TIMES',
  reconsumeTime: 'RECONSUME_TIME',
  transactionCheckTimes: 'TRANSACTION_CHECK_TIMES',
  checkImmunitySeconds: 'CHECK_IMMUNITY_TIME_IN_SECONDS',
  shardingKey: '__SHARDING_KEY',
  /** Absolute delivery time in ms since the epoch (RocketMQ 5's timer messages). */
  timerDeliverMs: 'TIMER_DELIVER_MS',
  /** The same, as Aliyun ONS clients (ali-ons setStartDeliverTime) spell it. */
  startDeliverTime: '__STARTDELIVERTIME',
  /** Where a dead letter came from (RocketMQ 5's names) and how often it was consumed. */
  dlqOriginTopic: 'DLQ_ORIGIN_TOPIC',
  dlqOriginMessageId: 'DLQ_ORIGIN_MESSAGE_ID',
  dlqReconsumeTimes: 'DLQ_RECONSUME_TIMES',
  /**
   * On a delayed message the broker delivered: '<lane>:<queue offset>' of the record it was
   * held as (lane = delay level, 0 for deliverAt). Makes delivery exactly-once across crashes.
   */
  scheduleSource: 'TRIBUTARY_SCHEDULE_SOURCE',
  minOffset: 'MIN_OFFSET',
  maxOffset: 'MAX_OFFSET',
  /**
   * W3C trace context of the producer's send span (messaging-tracing.ts): written by the
   * registered OpenTelemetry propagator, kept as sent by the broker and in retry and DLQ copies.
   */
  traceParent: 'traceparent',
  traceState: 'tracestate',
  /** The TCC global transaction a message belongs to (protocol/tcc-xid-headers.ts). */
  tccXid: 'TCC_XID',
} as const;

/** True when a property name or value can be stored without breaking the encoding. */
export function isStorablePropertyText(text: string): boolean {
  return text.indexOf(NAME_VALUE_SEPARATOR) < 0 && text.indexOf(PROPERTY_SEPARATOR) < 0;
}

/**
 * Encodes properties as RocketMQ stores them: `name\x01value\x02` pairs. Names and values must not
 * contain \x01 or \x02.
 */
export function encodeMessageProperties(properties: Readonly<Record<string, string>>): string {
  let encoded = '';
  for (const name in properties) encoded += name + NAME_VALUE_SEPARATOR + properties[name] + PROPERTY_SEPARATOR;
  return encoded;
}

/** Decodes a `name\x01value\x02` properties string; empty pairs are dropped, as RocketMQ does. */
export function decodeMessageProperties(encoded: string): Record<string, string> {
  const properties: Record<string, string> = Object.create(null) as Record<string, string>;
  let start = 0;
  while (start < encoded.length) {
    let end = encoded.indexOf(PROPERTY_SEPARATOR, start);
    if (end < 0) end = encoded.length;
    if (end > start) {
      const split = encoded.indexOf(NAME_VALUE_SEPARATOR, start);
      if (split >= 0 && split < end) properties[propertyName(encoded, start, split)] = encoded.slice(split + 1, end);
      else properties[propertyName(encoded, start, end)] = '';
    }
    start = end + 1;
  }
  return properties;
}

/**
 * True when `encoded` is exactly what encodeMessageProperties writes: `name\x01value\x02`
 * pairs, each name non-empty, each with one \x01, the last closed. Such a string can be stored
 * as it came, with no decoding and encoding back.
 */
export function isCanonicalProperties(encoded: string): boolean {
  let pairStart = 0;
  let split = -1;
  for (let i = 0; i < encoded.length; i++) {
    const code = encoded.charCodeAt(i);
    if (code === NAME_VALUE_SEPARATOR_CODE) {
      if (split >= 0 || i === pairStart) return false;
      split = i;
    } else if (code === PROPERTY_SEPARATOR_CODE) {
      if (split < 0) return false;
      pairStart = i + 1;
      split = -1;
    }
  }
  return pairStart === encoded.length;
}

/** Distinct property names remembered by propertyName; past it the cache starts over. */
const PROPERTY_NAMES_CACHED_MAX = 1024;
/** FNV-1a, over UTF-16 code units. */
const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** Names seen before, by the hash of their characters. */
const PROPERTY_NAMES = new Map<number, string>();

/**
 * encoded.slice(start, end), as a string seen before when there is one. A fresh slice used as
 * an object key must be looked up in V8's string table first; for a short name that cost about
 * 0.45 us, several times the rest of the decoding (a pull of 128 messages paid it 128 times
 * for the same UNIQ_KEY). Names repeat from message to message, so a remembered string, found
 * by a hash of the characters and confirmed by comparing them, is already internalized.
 */
function propertyName(encoded: string, start: number, end: number): string {
  let hash = FNV_OFFSET_BASIS;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ encoded.charCodeAt(i), FNV_PRIME);
  const known = PROPERTY_NAMES.get(hash);
  if (known !== undefined && known.length === end - start && encoded.startsWith(known, start)) return known;
  const name = encoded.slice(start, end);
  if (PROPERTY_NAMES.size >= PROPERTY_NAMES_CACHED_MAX) PROPERTY_NAMES.clear();
  PROPERTY_NAMES.set(hash, name);
  return name;
}

/** `UNIQ_KEY 0x01`: how a properties string holding nothing but a producer's id starts. */
const UNIQUE_KEY_PAIR_START = PROPERTY.uniqueKey + NAME_VALUE_SEPARATOR;

/**
 * The id when `encoded` is exactly one UNIQ_KEY pair (`UNIQ_KEY 0x01 <id> 0x02`, what a
 * producer sends for a message without tags, keys or properties), else undefined. Such a
 * string has no other pair, so a caller learns in one check that no other name is there,
 * instead of searching for each (what findProperty would answer, at a fraction of the cost).
 */
export function soleUniqueKey(encoded: string): string | undefined {
  return isSoleUniqueKey(encoded) ? encoded.slice(UNIQUE_KEY_PAIR_START.length, encoded.length - 1) : undefined;
}

/** soleUniqueKey(encoded) !== undefined, without cutting the id out. */
export function isSoleUniqueKey(encoded: string): boolean {
  const end = encoded.length - 1;
  return (
    end >= UNIQUE_KEY_PAIR_START.length &&
    encoded.charCodeAt(end) === PROPERTY_SEPARATOR_CODE &&
    encoded.startsWith(UNIQUE_KEY_PAIR_START) &&
    encoded.indexOf(PROPERTY_SEPARATOR, UNIQUE_KEY_PAIR_START.length) === end
  );
}

/**
 * Reads one property without decoding the rest; undefined when absent. The first pair named
 * `name` counts. The name is searched alone and the separators around it checked in place:
 * searching for `name + 0x01` built (and flattened) a new string on every call.
 */
export function findProperty(encoded: string, name: string): string | undefined {
  let at = encoded.indexOf(name);
  while (at >= 0) {
    const valueStart = at + name.length + 1;
    // A match counts only as a whole name at the start of a pair, not inside another pair.
    const atPairStart = at === 0 || encoded.charCodeAt(at - 1) === PROPERTY_SEPARATOR_CODE;
    if (atPairStart && encoded.charCodeAt(valueStart - 1) === NAME_VALUE_SEPARATOR_CODE) {
      let end = encoded.indexOf(PROPERTY_SEPARATOR, valueStart);
      if (end < 0) end = encoded.length;
      return encoded.slice(valueStart, end);
    }
    at = encoded.indexOf(name, at + 1);
  }
  return undefined;
}
