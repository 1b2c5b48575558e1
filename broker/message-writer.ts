// The one way messages enter the store from the broker: client sends, retries, dead letters
// and delayed deliveries all pass here. It moves a message with a delay level to the schedule
// topic (keeping its real topic and queue in properties) and wakes long polls waiting on the
// queue it landed in.
import { MESSAGE_SYS_FLAG } from '../client/remoting/header-fields.js';
import { PROPERTY } from '../client/remoting/message-properties-codec.js';
import type { AppendResult, MessageInput, MessageStore } from '../storage/index.js';
import { SYSTEM_TOPIC } from './broker-constants.js';
import type { PullRequestHoldService } from './pull-request-hold-service.js';

export class MessageWriter {
  constructor(
    private readonly store: MessageStore,
    private readonly holds: PullRequestHoldService,
    private readonly delayLevelsMs: readonly number[],
  ) {}

  get delayLevelCount(): number {
    return this.delayLevelsMs.length;
  }

  delayOfLevelMs(level: number): number {
    return this.delayLevelsMs[Math.min(level, this.delayLevelsMs.length) - 1] ?? 0;
  }

  put(message: MessageInput): Promise<AppendResult> {
    const stored = this.scheduleIfDelayed(message);
    const appended = this.store.append(stored);
    this.holds.arrived(stored.topic, stored.queueId, this.store.maxQueueOffset(stored.topic, stored.queueId));
    return appended;
  }

  /** A batch goes to one queue; batches carry no delay (RocketMQ rejects delayed batches). */
  putBatch(messages: readonly MessageInput[]): Promise<AppendResult[]> {
    const appended = this.store.appendBatch(messages);
    const first = messages[0];
    if (first !== undefined)
      this.holds.arrived(first.topic, first.queueId, this.store.maxQueueOffset(first.topic, first.queueId));
    return appended;
  }

  private scheduleIfDelayed(message: MessageInput): MessageInput {
    const level = Number(message.properties?.[PROPERTY.delayLevel] ?? 0);
    const transaction = (message.sysFlag ?? 0) & MESSAGE_SYS_FLAG.transactionMask;
    const plain =
      transaction === MESSAGE_SYS_FLAG.transactionNone || transaction === MESSAGE_SYS_FLAG.transactionCommit;
    if (!(level > 0) || !Number.isInteger(level) || !plain) return message;
    const capped = Math.min(level, this.delayLevelsMs.length);
    return {
      ...message,
      topic: SYSTEM_TOPIC.schedule,
      queueId: capped - 1,
      properties: {
        ...message.properties,
        [PROPERTY.delayLevel]: String(capped),
        [PROPERTY.realTopic]: message.topic,
        [PROPERTY.realQueueId]: String(message.queueId),
      },
    };
  }
}
