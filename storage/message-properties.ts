// The properties string of a record: each pair written as `name 0x01 value 0x02`, the last
// pair also ending in 0x02, exactly as RocketMQ stores and its clients parse it.

/** Property names with a meaning to the store, broker or clients (RocketMQ's spelling). */
export const MESSAGE_PROPERTIES = {
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
  transactionCheckTimes: 'TRANSACTION_CHECK_TIMES',
} as const;

export const NAME_VALUE_SEPARATOR = '\u0001';
export const PROPERTY_SEPARATOR = '\u0002';
const NAME_VALUE_SEPARATOR_CODE = NAME_VALUE_SEPARATOR.charCodeAt(0);
const PROPERTY_SEPARATOR_CODE = PROPERTY_SEPARATOR.charCodeAt(0);
/** KEYS holds several keys joined by a space. */
export const KEY_SEPARATOR = ' ';

/** True when a property name or value can be stored without breaking the encoding. */
export function isStorablePropertyText(text: string): boolean {
  return text.indexOf(NAME_VALUE_SEPARATOR) < 0 && text.indexOf(PROPERTY_SEPARATOR) < 0;
}

export function encodeProperties(properties: Readonly<Record<string, string>>): string {
  let encoded = '';
  for (const name in properties) {
    encoded += name + NAME_VALUE_SEPARATOR + properties[name] + PROPERTY_SEPARATOR;
  }
  return encoded;
}

/** Decodes leniently: empty items are skipped and a pair without 0x01 gets an empty value. */
export function decodeProperties(encoded: string): Record<string, string> {
  const properties: Record<string, string> = {};
  let start = 0;
  while (start < encoded.length) {
    let end = encoded.indexOf(PROPERTY_SEPARATOR, start);
    if (end < 0) end = encoded.length;
    if (end > start) {
      const split = encoded.indexOf(NAME_VALUE_SEPARATOR, start);
      if (split >= 0 && split < end) {
        properties[encoded.slice(start, split)] = encoded.slice(split + 1, end);
      } else {
        properties[encoded.slice(start, end)] = '';
      }
    }
    start = end + 1;
  }
  return properties;
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
