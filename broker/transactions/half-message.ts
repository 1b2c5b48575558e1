// A transaction's half message and what is made of it (RocketMQ 4.x transactional messages, ARCHITECTURE.md §4). A
// prepared send is stored in RMQ_SYS_TRANS_HALF_TOPIC queue 0 with its real topic and queue in
// REAL_TOPIC / REAL_QID and its transaction bits cleared, so the store indexes it like any
// message while no consumer of the real topic can see it. A commit stores it again under its
// real topic and queue, flagged commit and pointing back at the half message; a check-back
// sends it with topic and queue restored; past the last check it moves to the check-max topic.
import { MESSAGE_SYS_FLAG } from '../../protocol/message-sys-flag.js';
import type { MessageRecord } from '../../protocol/message-encoder.js';
import { PROPERTY } from '../../protocol/message-properties-codec.js';
import type { MessageInput, StoredMessage } from '../../storage/index.js';
import { SYSTEM_TOPIC } from '../broker-constants.js';

/** RocketMQ keeps every half message in queue 0 of the half topic. */
export const HALF_QUEUE_ID = 0;
export const CHECK_MAX_QUEUE_ID = 0;

/** True for a send that opens a transaction: prepared transaction bits, or TRAN_MSG=true. */
export function isHalfMessageSend(sysFlag: number, properties: Readonly<Record<string, string>>): boolean {
  const transaction = sysFlag & MESSAGE_SYS_FLAG.transactionMask;
  return transaction === MESSAGE_SYS_FLAG.transactionPrepared || properties[PROPERTY.transactionPrepared] === 'true';
}

/** The half message a prepared send is stored as. */
export function toHalfMessage(message: MessageInput, producerGroup: string): MessageInput {
  return {
    ...message,
    topic: SYSTEM_TOPIC.transactionHalf,
    queueId: HALF_QUEUE_ID,
    sysFlag: withTransactionBits(message.sysFlag ?? 0, MESSAGE_SYS_FLAG.transactionNone),
    properties: {
      ...message.properties,
      [PROPERTY.realTopic]: message.topic,
      [PROPERTY.realQueueId]: String(message.queueId),
      [PROPERTY.transactionPrepared]: 'true',
      [PROPERTY.producerGroup]: producerGroup,
    },
  };
}

/** Where the half message was sent to. */
export function realDestinationOf(half: StoredMessage): { topic: string; queueId: number } {
  const properties = half.properties;
  return {
    topic: properties[PROPERTY.realTopic] ?? half.topic,
    queueId: Number(properties[PROPERTY.realQueueId] ?? 0),
  };
}

/** The producer group that opened the transaction. */
export function producerGroupOf(half: StoredMessage): string | undefined {
  return half.properties[PROPERTY.producerGroup];
}

/** The real message a commit stores: flagged commit, pointing at the half message's offset. */
export function toCommittedMessage(half: StoredMessage): MessageInput {
  const properties: Record<string, string> = { ...half.properties };
  delete properties[PROPERTY.realTopic];
  delete properties[PROPERTY.realQueueId];
  delete properties[PROPERTY.transactionPrepared];
  return {
    ...realDestinationOf(half),
    body: half.body,
    properties,
    flag: half.flag,
    sysFlag: withTransactionBits(half.sysFlag, MESSAGE_SYS_FLAG.transactionCommit),
    bornTimestamp: half.bornTimestamp,
    bornHost: half.bornHost,
    reconsumeTimes: half.reconsumeTimes,
    preparedTransactionOffset: half.commitLogOffset,
  };
}

/** The half message as a check-back carries it: real topic and queue, this round's count. */
export function toCheckRecord(half: StoredMessage, checks: number): MessageRecord {
  return {
    ...realDestinationOf(half),
    queueOffset: half.queueOffset,
    commitLogOffset: half.commitLogOffset,
    flag: half.flag,
    sysFlag: half.sysFlag,
    bornTimestamp: half.bornTimestamp,
    bornHost: half.bornHost,
    storeTimestamp: half.storeTimestamp,
    storeHost: half.storeHost,
    reconsumeTimes: half.reconsumeTimes,
    preparedTransactionOffset: half.preparedTransactionOffset,
    body: half.body,
    properties: { ...half.properties, [PROPERTY.transactionCheckTimes]: String(checks) },
  };
}

/** The half message parked in TRANS_CHECK_MAX_TIME_TOPIC after its last unanswered check. */
export function toCheckMaxMessage(half: StoredMessage, checks: number): MessageInput {
  return {
    topic: SYSTEM_TOPIC.transactionCheckMax,
    queueId: CHECK_MAX_QUEUE_ID,
    body: half.body,
    properties: { ...half.properties, [PROPERTY.transactionCheckTimes]: String(checks) },
    flag: half.flag,
    sysFlag: half.sysFlag,
    bornTimestamp: half.bornTimestamp,
    bornHost: half.bornHost,
    reconsumeTimes: half.reconsumeTimes,
  };
}

function withTransactionBits(sysFlag: number, bits: number): number {
  return (sysFlag & ~MESSAGE_SYS_FLAG.transactionMask) | bits;
}
