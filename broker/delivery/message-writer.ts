// The one way messages enter the store from the broker: client sends, retries, dead letters
// and delayed deliveries all pass here. It moves a message with a delay level to the schedule
// topic, and one with a future deliverAt (TIMER_DELIVER_MS or __STARTDELIVERTIME) to the
// timer topic, keeping its real topic and queue in properties; and it wakes long polls
// waiting on the queue the message landed in.
import { MESSAGE_SYS_FLAG } from '../../protocol/message-sys-flag.js';
import { PROPERTY } from '../../protocol/message-properties-codec.js';
import { StoreError, type AppendResult, type MessageInput, type MessageStore } from '../../storage/index.js';
import { SYSTEM_TOPIC, TIMER_DELAY_MS_MAX } from '../broker-constants.js';
import type { PullRequestHoldService } from './pull-request-hold-service.js';
import type { Channel } from '../../server/remoting-server.js';

export class MessageWriter {
  /**
   * Due time of the last deliverAt message the schedule service took for delivery. It takes
   * them in due order and counts everything up to its cursor as done, so a deliverAt at or
   * before this is stored for delivery at once, never held behind the cursor.
   */
  timerDeliveredThroughMs = 0;
  /** Told the due time of each message held for a deliverAt, so delivery can wake for it. */
  onTimerHeld: ((dueMs: number) => void) | undefined;
  /** A sync master's replica acknowledgement (broker/replication/): a put resolves after it. */
  replicaGate: ((end: number) => Promise<void>) | undefined;
  /** A master's HA port: records were appended, replicas waiting for them are sent them now. */
  onAppended: (() => void) | undefined;

  constructor(
    private readonly store: MessageStore,
    private readonly holds: PullRequestHoldService,
    private readonly delayLevelsMs: readonly number[],
    private readonly now: () => number = Date.now,
  ) {}

  get delayLevelCount(): number {
    return this.delayLevelsMs.length;
  }

  delayOfLevelMs(level: number): number {
    return this.delayLevelsMs[Math.min(level, this.delayLevelsMs.length) - 1] ?? 0;
  }

  /** Stores a message; `from`, the connection of the send that brought it (held pulls on it answer with the send). */
  put(message: MessageInput, from?: Channel): Promise<AppendResult> {
    let stored: MessageInput;
    try {
      stored = this.scheduleIfDelayed(message);
    } catch (error) {
      return Promise.reject(error);
    }
    const appended = this.store.append(stored);
    this.holds.arrived(stored.topic, stored.queueId, this.store.maxQueueOffset(stored.topic, stored.queueId), from);
    if (stored.topic === SYSTEM_TOPIC.timer) this.onTimerHeld?.(Number(stored.properties![PROPERTY.timerDeliverMs]));
    return this.replicated(appended);
  }

  /**
   * Stores a message exactly as given, with no delay or timer handling: a half message (which
   * must stay in the half topic until its verdict) or a half message parked after its last
   * check (which keeps REAL_TOPIC but must never be delivered to it).
   */
  putAsIs(message: MessageInput): Promise<AppendResult> {
    const appended = this.store.append(message);
    this.holds.arrived(message.topic, message.queueId, this.store.maxQueueOffset(message.topic, message.queueId));
    return this.replicated(appended);
  }

  /** A batch goes to one queue; batches carry no delay (RocketMQ rejects delayed batches). */
  putBatch(messages: readonly MessageInput[], from?: Channel): Promise<AppendResult[]> {
    const appended = this.store.appendBatch(messages);
    const first = messages[0];
    if (first !== undefined)
      this.holds.arrived(first.topic, first.queueId, this.store.maxQueueOffset(first.topic, first.queueId), from);
    return this.replicated(appended);
  }

  /** With a replica gate, resolves once the replicas hold the log up to its end as of this append. */
  private replicated<T>(appended: Promise<T>): Promise<T> {
    this.onAppended?.();
    const gate = this.replicaGate;
    if (gate === undefined) return appended;
    const end = this.store.commitLogMaxOffset;
    return appended.then((result) => gate(end).then(() => result));
  }

  private scheduleIfDelayed(message: MessageInput): MessageInput {
    const level = Number(message.properties?.[PROPERTY.delayLevel] ?? 0);
    const transaction = (message.sysFlag ?? 0) & MESSAGE_SYS_FLAG.transactionMask;
    const plain =
      transaction === MESSAGE_SYS_FLAG.transactionNone || transaction === MESSAGE_SYS_FLAG.transactionCommit;
    if (!plain) return message;
    if (!(level > 0) || !Number.isInteger(level)) return this.holdUntilDeliverAt(message);
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

  /**
   * A message with a deliverAt in the future goes to the timer topic; one already due is
   * stored as it is, without the property. A delay level, when present too, wins.
   */
  private holdUntilDeliverAt(message: MessageInput): MessageInput {
    const given = message.properties?.[PROPERTY.timerDeliverMs] ?? message.properties?.[PROPERTY.startDeliverTime];
    if (given === undefined) return message;
    const dueMs = Number(given);
    if (given === '' || !Number.isSafeInteger(dueMs) || dueMs < 0)
      throw new StoreError('INVALID_MESSAGE', `deliverAt must be ms since the epoch, got '${given.slice(0, 40)}'`);
    const properties: Record<string, string> = { ...message.properties };
    delete properties[PROPERTY.timerDeliverMs];
    delete properties[PROPERTY.startDeliverTime];
    const now = this.now();
    if (dueMs <= Math.max(now, this.timerDeliveredThroughMs)) return { ...message, properties };
    if (dueMs > now + TIMER_DELAY_MS_MAX)
      throw new StoreError('INVALID_MESSAGE', `deliverAt lies more than ${TIMER_DELAY_MS_MAX} ms ahead`);
    properties[PROPERTY.timerDeliverMs] = String(dueMs);
    properties[PROPERTY.realTopic] = message.topic;
    properties[PROPERTY.realQueueId] = String(message.queueId);
    return { ...message, topic: SYSTEM_TOPIC.timer, queueId: 0, properties };
  }
}
