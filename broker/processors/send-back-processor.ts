// CONSUMER_SEND_MSG_BACK (36): a consumer could not process a message. It is stored again in
// the group's %RETRY% topic with one more reconsume and a delay (3 + reconsume count when the
// client leaves the level to the broker), or, past maxReconsumeTimes, in the group's %DLQ%
// topic. Either copy records where it came from: RETRY_TOPIC (the original topic) and
// ORIGIN_MESSAGE_ID; a dead letter also the DLQ_ORIGIN_* properties (dead-letter-origin.ts).
//
// The offset comes from the client, so the record there is checked before anything is written:
// it must be a user message (not a broker state record, not a prepared half message) of a
// topic the group subscribes to, or the group's own retry copy of one, and the account must
// hold SUB on that topic (access control already asked SUB on the group). Otherwise any
// consumer could copy any record, of any topic, into its own retry or dead-letter queue.
import { DLQ_QUEUE_COUNT, RETRY_QUEUE_COUNT } from '../broker-constants.js';
import { DLQ_TOPIC_PREFIX, RETRY_TOPIC_PREFIX } from '../../protocol/name-rules.js';
import { HeartbeatError, groupName } from './heartbeat-body.js';
import { ExtFieldReader, HeaderFieldError } from '../../protocol/ext-field-reader.js';
import { PROPERTY } from '../../protocol/message-properties-codec.js';
import { responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { MESSAGE_SYS_FLAG } from '../../protocol/message-sys-flag.js';
import { StoreError, type MessageInput, type StoredMessage } from '../../storage/index.js';
import type { BrokerContext } from '../broker-context.js';
import { recordDeadLetterOrigin } from '../delivery/dead-letter-origin.js';
import type { Channel } from '../../server/remoting-server.js';
import { storeErrorResponse } from './store-error-response.js';
import { isReservedTopic, isRetryOrDeadLetterTopic } from '../topic-check.js';
import { topicConfig } from '../state/topic-config-manager.js';

/** Retries start at this delay level, plus one per earlier retry (RocketMQ: 3 = 10 s). */
const RETRY_DELAY_LEVEL_BASE = 3;

export class SendBackProcessor {
  constructor(private readonly context: BrokerContext) {}

  async sendBack(request: RemotingCommand, channel: Channel): Promise<RemotingCommand> {
    let offset: number;
    let group: string;
    let requestedLevel: number;
    let maxReconsumeTimes: number | undefined;
    let originMsgId: string | undefined;
    try {
      const fields = new ExtFieldReader(request.extFields);
      offset = fields.integer('offset');
      group = groupName(fields.string('group'));
      requestedLevel = fields.optionalInteger('delayLevel') ?? 0;
      maxReconsumeTimes = fields.optionalInteger('maxReconsumeTimes');
      originMsgId = fields.optionalString('originMsgId');
    } catch (error) {
      if (error instanceof HeaderFieldError || error instanceof HeartbeatError)
        return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, error.message);
      throw error;
    }
    const original = this.recordAt(offset);
    if (original === undefined)
      return responseTo(request, RESPONSE_CODE.MESSAGE_ILLEGAL, `no stored message starts at offset ${offset}`);
    const refusal = this.refusal(request, channel, original, group);
    if (refusal !== undefined) return refusal;
    const config = await this.context.groups.ensure(group);
    const properties: Record<string, string> = { ...original.properties };
    properties[PROPERTY.retryTopic] ??= original.topic;
    properties[PROPERTY.originMessageId] ??= originMsgId ?? original.msgId;
    const limit = maxReconsumeTimes ?? config.retryMaxTimes;
    const deadLetter = original.reconsumeTimes >= limit || requestedLevel < 0;
    const level = requestedLevel === 0 ? RETRY_DELAY_LEVEL_BASE + original.reconsumeTimes : requestedLevel;
    const topic = (deadLetter ? DLQ_TOPIC_PREFIX : RETRY_TOPIC_PREFIX) + group;
    await this.ensureTopic(topic, deadLetter ? DLQ_QUEUE_COUNT : RETRY_QUEUE_COUNT);
    if (deadLetter) {
      recordDeadLetterOrigin(properties, {
        topic: properties[PROPERTY.retryTopic]!,
        msgId: properties[PROPERTY.originMessageId]!,
        reconsumeTimes: original.reconsumeTimes + 1,
      });
    } else {
      properties[PROPERTY.delayLevel] = String(Math.min(level, this.context.writer.delayLevelCount));
    }
    const message: MessageInput = {
      topic,
      queueId: 0,
      body: original.body,
      properties,
      flag: original.flag,
      sysFlag: original.sysFlag,
      bornTimestamp: original.bornTimestamp,
      bornHost: channel.remoteAddress.replace(/^::ffff:/, ''),
      reconsumeTimes: original.reconsumeTimes + 1,
    };
    try {
      await this.context.writer.put(message);
      return responseTo(request, RESPONSE_CODE.SUCCESS);
    } catch (error) {
      const { code, remark } = storeErrorResponse(error);
      return responseTo(request, code, remark);
    }
  }

  /**
   * The record starting at `offset`, or undefined when none does. An offset inside a record
   * (a body can hold bytes shaped like a record, whose body would run on into the next ones)
   * is told apart by the record's own queue entry, which must point back at the offset.
   */
  private recordAt(offset: number): StoredMessage | undefined {
    const { store } = this.context;
    try {
      const record = store.readAt(offset);
      if (record === undefined) return undefined;
      const [indexed] = store.read(record.topic, record.queueId, record.queueOffset, 1).messages;
      return indexed?.commitLogOffset === offset ? record : undefined;
    } catch (error) {
      // Bytes that are not a record decode to nonsense sizes (RangeError) or fail the check.
      if (error instanceof RangeError || error instanceof StoreError) return undefined;
      throw error;
    }
  }

  /** The response refusing to send `original` back for `group`, or undefined when it may be. */
  private refusal(
    request: RemotingCommand,
    channel: Channel,
    original: StoredMessage,
    group: string,
  ): RemotingCommand | undefined {
    const notOfGroup = (why: string): RemotingCommand =>
      responseTo(request, RESPONSE_CODE.MESSAGE_ILLEGAL, `offset ${original.commitLogOffset} ${why}`);
    const prepared = (original.sysFlag & MESSAGE_SYS_FLAG.transactionMask) === MESSAGE_SYS_FLAG.transactionPrepared;
    if (isReservedTopic(original.topic) || prepared) return notOfGroup('is not a user message');
    const ownRetry = original.topic === RETRY_TOPIC_PREFIX + group;
    const topic = ownRetry ? original.properties[PROPERTY.retryTopic] : original.topic;
    if (topic === undefined || (!ownRetry && isRetryOrDeadLetterTopic(topic)))
      return notOfGroup(`is not a message of group ${group}`);
    const need = { kind: 'topic', name: topic, permission: 'SUB' } as const;
    const denied = this.context.access.refusal(request, channel, [need]);
    if (denied !== undefined) return responseTo(request, RESPONSE_CODE.NO_PERMISSION, denied);
    if (this.context.consumers.get(group)?.subscriptions.has(topic) !== true)
      return notOfGroup(`is a message of topic ${topic}, which group ${group} does not subscribe to`);
    return undefined;
  }

  private async ensureTopic(topic: string, queues: number): Promise<void> {
    if (this.context.topics.get(topic) !== undefined) return;
    await this.context.topics.upsert(topicConfig(topic, queues));
    this.context.registerSoon();
  }
}
