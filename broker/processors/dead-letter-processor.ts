// TRIBUTARY_QUERY_DEAD_LETTERS (20001) and TRIBUTARY_RESEND_DEAD_LETTER (20002): browsing a
// group's dead-letter queue (%DLQ%<group>, queue 0) and giving a dead letter another go.
//
// A resend stores a copy in %RETRY%<group> (queue 0), undelayed, with reconsumeTimes 0 and the
// dead-letter properties removed. RETRY_TOPIC still names the original topic, so the group's
// consumers see the message under that topic and with its producer msgId; if it fails again
// it goes through every retry before dying again. The dead letter itself stays where it is
// (the queue is an append-only log): listing still shows it, and resending it again delivers
// it again. Retention removes dead letters with their segments, as RocketMQ does.
import type { ExtFieldReader } from '../../protocol/ext-field-reader.js';
import { PROPERTY } from '../../protocol/message-properties-codec.js';
import { responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { OffsetMessageId, type MessageInput, type StoredMessage } from '../../storage/index.js';
import { PULL_RESPONSE_BYTES_MAX, RETRY_QUEUE_COUNT } from '../broker-constants.js';
import type { BrokerContext } from '../broker-context.js';
import { groupName } from './heartbeat-body.js';
import { DEAD_LETTER_ONLY_PROPERTIES } from '../delivery/dead-letter-origin.js';
import { storeErrorResponse } from './store-error-response.js';
import { topicConfig } from '../state/topic-config-manager.js';
import { RETRY_TOPIC_PREFIX, DLQ_TOPIC_PREFIX } from '../../protocol/name-rules.js';

/** Dead letters one query returns at most (also bounded by PULL_RESPONSE_BYTES_MAX). */
const DEAD_LETTER_PAGE_COUNT_MAX = 256;
const DEAD_LETTER_PAGE_COUNT_DEFAULT = 32;
/** Dead letters sharing one msgId looked at per resend (each resend-and-die adds one). */
const SAME_ID_DEAD_LETTERS_MAX = 64;

export class DeadLetterProcessor {
  constructor(private readonly context: BrokerContext) {}

  /** A page of the group's DLQ from `offset`: the records, and where the next page starts. */
  list(request: RemotingCommand, fields: ExtFieldReader): RemotingCommand {
    const topic = DLQ_TOPIC_PREFIX + groupName(fields.string('group'));
    const requested = fields.optionalInteger('maxCount') ?? DEAD_LETTER_PAGE_COUNT_DEFAULT;
    const maxCount = Math.max(1, Math.min(requested, DEAD_LETTER_PAGE_COUNT_MAX));
    const store = this.context.store;
    const minOffset = store.minQueueOffset(topic, 0);
    const maxOffset = store.maxQueueOffset(topic, 0);
    const from = Math.min(Math.max(fields.optionalInteger('offset') ?? 0, minOffset), maxOffset);
    const records: Buffer[] = [];
    let bytes = 0;
    let nextOffset = from;
    for (const message of store.read(topic, 0, from, maxCount).messages) {
      if (records.length > 0 && bytes + message.totalSize > PULL_RESPONSE_BYTES_MAX) break;
      records.push(message.raw);
      bytes += message.totalSize;
      nextOffset = message.queueOffset + 1;
    }
    const extFields = { brokerName: this.context.options.brokerName, minOffset, maxOffset, nextOffset };
    return responseTo(request, RESPONSE_CODE.SUCCESS, undefined, extFields, Buffer.concat(records));
  }

  /** Stores the dead letter `msgId` (producer id or offset id) again in the group's retry topic. */
  async resend(request: RemotingCommand, fields: ExtFieldReader): Promise<RemotingCommand> {
    const group = groupName(fields.string('group'));
    const msgId = fields.string('msgId');
    const dead = this.find(DLQ_TOPIC_PREFIX + group, msgId);
    if (dead === undefined)
      return responseTo(request, RESPONSE_CODE.QUERY_NOT_FOUND, `no dead letter ${msgId} in group ${group}`);
    const topic = RETRY_TOPIC_PREFIX + group;
    if (this.context.topics.get(topic) === undefined) {
      await this.context.topics.upsert(topicConfig(topic, RETRY_QUEUE_COUNT));
      this.context.registerSoon();
    }
    const properties: Record<string, string> = { ...dead.properties };
    properties[PROPERTY.retryTopic] ??= properties[PROPERTY.dlqOriginTopic] ?? dead.topic;
    for (const name of DEAD_LETTER_ONLY_PROPERTIES) delete properties[name];
    const message: MessageInput = {
      topic,
      queueId: 0,
      body: dead.body,
      properties,
      flag: dead.flag,
      sysFlag: dead.sysFlag,
      bornTimestamp: dead.bornTimestamp,
      bornHost: dead.bornHost,
      reconsumeTimes: 0,
    };
    try {
      const appended = await this.context.writer.put(message);
      return responseTo(request, RESPONSE_CODE.SUCCESS, undefined, {
        brokerName: this.context.options.brokerName,
        msgId: appended.msgId,
        offsetMsgId: OffsetMessageId.encode(this.context.storeHost, appended.commitLogOffset),
        originTopic: properties[PROPERTY.retryTopic]!,
      });
    } catch (error) {
      const { code, remark } = storeErrorResponse(error);
      return responseTo(request, code, remark);
    }
  }

  /** The newest dead letter with this producer id, or the one at this offset id. */
  private find(topic: string, msgId: string): StoredMessage | undefined {
    const store = this.context.store;
    const sameId = store.queryByKey(topic, msgId, SAME_ID_DEAD_LETTERS_MAX).filter((m) => m.msgId === msgId);
    if (sameId.length > 0) return sameId.at(-1);
    const located = OffsetMessageId.decode(msgId);
    const ours =
      located !== undefined &&
      located.storeHost.ip === this.context.storeHost.ip &&
      located.storeHost.port === this.context.storeHost.port;
    if (!ours) return undefined;
    const message = store.readAt(located.commitLogOffset);
    return message?.topic === topic ? message : undefined;
  }
}
