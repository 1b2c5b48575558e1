// A batch of held (delayed) messages delivered together, and how to tell afterwards which of
// its copies reached the log.
//
// The service appends a batch's begin command (schedule-progress.ts) and then every copy in
// one synchronous step, so nothing else lands in a target queue in between: the copies bound
// for one queue sit at consecutive offsets from that queue's end when the batch began, in
// batch order. A copy that failed validation simply takes no offset. A crash keeps a prefix
// of the log, so afterwards each copy that exists is exactly where this predicts, and carries
// its source ('<lane>:<held queue offset>', unique forever) in TRIBUTARY_SCHEDULE_SOURCE:
//
//   batch  offsets [40, 41, 42]   targets [['orders', 3, 900], ['%RETRY%billing', 0, 12]]
//          queues  [0, 1, 0]      -> copies expected at orders/3@900, %RETRY%billing/0@12,
//                                    orders/3@901 (the next unmatched slot of each queue)
import { PROPERTY } from '../../protocol/message-properties-codec.js';
import type { MessageInput, MessageStore, StoredMessage } from '../../storage/index.js';

/** A real queue copies go to, and its end (max queue offset) when the batch began. */
export type DeliveryTarget = [topic: string, queueId: number, firstQueueOffset: number];

export interface DeliveryBatch {
  /** Queue offsets of the held messages in their lane's queue, in delivery order. */
  offsets: number[];
  /** Their due times in ms (the timer lane; empty for delay levels). */
  dues: number[];
  /** For each message, the index of its real queue in `targets`. */
  queues: number[];
  targets: DeliveryTarget[];
}

/** Properties a held message carries for the broker only; its delivered copy drops them. */
const HOLDING_PROPERTIES = [
  PROPERTY.realTopic,
  PROPERTY.realQueueId,
  PROPERTY.delayLevel,
  PROPERTY.timerDeliverMs,
  PROPERTY.startDeliverTime,
] as const;

export function scheduleSource(lane: number, heldQueueOffset: number): string {
  return `${lane}:${heldQueueOffset}`;
}

/** The message as it was sent: real topic and queue back, holding properties gone, source added. */
export function restoreHeldMessage(message: StoredMessage, lane: number): MessageInput {
  const properties: Record<string, string> = { ...message.properties };
  const topic = properties[PROPERTY.realTopic] ?? message.topic;
  const queueId = Number(properties[PROPERTY.realQueueId] ?? 0);
  for (const name of HOLDING_PROPERTIES) delete properties[name];
  properties[PROPERTY.scheduleSource] = scheduleSource(lane, message.queueOffset);
  return {
    topic,
    queueId,
    body: message.body,
    properties,
    flag: message.flag,
    sysFlag: message.sysFlag,
    bornTimestamp: message.bornTimestamp,
    bornHost: message.bornHost,
    reconsumeTimes: message.reconsumeTimes,
  };
}

/** The batch record for `copies`; call it in the same synchronous step that appends them. */
export function planDeliveryBatch(
  store: MessageStore,
  copies: readonly MessageInput[],
  offsets: number[],
  dues: number[],
): DeliveryBatch {
  const indexOf = new Map<string, number>();
  const targets: DeliveryTarget[] = [];
  const queues = copies.map((copy) => {
    const key = `${copy.topic}/${copy.queueId}`;
    let index = indexOf.get(key);
    if (index === undefined) {
      index = targets.push([copy.topic, copy.queueId, store.maxQueueOffset(copy.topic, copy.queueId)]) - 1;
      indexOf.set(key, index);
    }
    return index;
  });
  return { offsets, dues, queues, targets };
}

/** For each message of `batch`, in order: is its copy in the log? One queue read per message. */
export function deliveredCopies(store: MessageStore, lane: number, batch: DeliveryBatch): boolean[] {
  const next = batch.targets.map((target) => target[2]);
  return batch.offsets.map((offset, i) => {
    const target = batch.queues[i]!;
    const [topic, queueId] = batch.targets[target]!;
    const found = store.read(topic, queueId, next[target]!, 1).messages[0];
    if (found?.properties[PROPERTY.scheduleSource] !== scheduleSource(lane, offset)) return false;
    next[target]!++;
    return true;
  });
}
