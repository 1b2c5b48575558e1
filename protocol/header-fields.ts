// Header field (extFields) names per request, RocketMQ's spelling. SEND_MESSAGE_V2 uses
// one-letter names for the fields of SEND_MESSAGE; everything else uses the long names.

export const SEND_MESSAGE_V2_FIELD = {
  producerGroup: 'a',
  topic: 'b',
  defaultTopic: 'c',
  defaultTopicQueueNums: 'd',
  queueId: 'e',
  sysFlag: 'f',
  bornTimestamp: 'g',
  flag: 'h',
  properties: 'i',
  reconsumeTimes: 'j',
  unitMode: 'k',
  maxReconsumeTimes: 'l',
  batch: 'm',
  brokerName: 'n',
} as const;

export type SendMessageField = keyof typeof SEND_MESSAGE_V2_FIELD;

/** PULL_MESSAGE's header fields (PullMessageRequestHeader), written by the client, read by the broker. */
export const PULL_MESSAGE_FIELD = {
  consumerGroup: 'consumerGroup',
  topic: 'topic',
  queueId: 'queueId',
  queueOffset: 'queueOffset',
  maxMsgNums: 'maxMsgNums',
  sysFlag: 'sysFlag',
  commitOffset: 'commitOffset',
  suspendTimeoutMillis: 'suspendTimeoutMillis',
  subscription: 'subscription',
  subVersion: 'subVersion',
  expressionType: 'expressionType',
} as const;

/** PullSysFlag bits of PULL_MESSAGE's sysFlag. */
export const PULL_SYS_FLAG = {
  commitOffset: 0x1,
  suspend: 0x2,
  subscription: 0x4,
  classFilter: 0x8,
  litePull: 0x10,
} as const;

/** Topic permission bits. */
export const PERMISSION = { priority: 8, read: 4, write: 2, inherit: 1, readWrite: 6 } as const;

/** The default topic clients name when asking for auto-creation. */
export const AUTO_CREATE_TOPIC_KEY_TOPIC = 'TBW102';
/** Queues a topic auto-created by a send gets, at most (RocketMQ's defaultTopicQueueNums). */
export const AUTO_CREATE_TOPIC_QUEUE_COUNT = 4;
