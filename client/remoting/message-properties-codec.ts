// The properties string of a message on the wire: `name 0x01 value 0x02` per pair, the last
// pair also ending in 0x02. Decoding is lenient as ali-ons and Java are: empty items are
// skipped and an item without 0x01 gets an empty value.

export const NAME_VALUE_SEPARATOR = '\u0001';
export const PROPERTY_SEPARATOR = '\u0002';

/** Property names with a meaning to the broker or clients (RocketMQ's spelling). */
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
} as const;

export function encodeMessageProperties(properties: Readonly<Record<string, string>>): string {
  let encoded = '';
  for (const name in properties) encoded += name + NAME_VALUE_SEPARATOR + properties[name] + PROPERTY_SEPARATOR;
  return encoded;
}

export function decodeMessageProperties(encoded: string): Record<string, string> {
  const properties: Record<string, string> = Object.create(null) as Record<string, string>;
  let start = 0;
  while (start < encoded.length) {
    let end = encoded.indexOf(PROPERTY_SEPARATOR, start);
    if (end < 0) end = encoded.length;
    if (end > start) {
      const split = encoded.indexOf(NAME_VALUE_SEPARATOR, start);
      if (split >= 0 && split < end) properties[encoded.slice(start, split)] = encoded.slice(split + 1, end);
      else properties[encoded.slice(start, end)] = '';
    }
    start = end + 1;
  }
  return properties;
}
