// CONSUMER_SEND_MSG_BACK (36): a consumer could not process a message. It is stored again in
// the group's %RETRY% topic with one more reconsume and a delay (3 + reconsume count when the
// client leaves the level to the broker), or, past maxReconsumeTimes, in the group's %DLQ%
// topic. Either copy records where it came from: RETRY_TOPIC (the original topic) and
// ORIGIN_MESSAGE_ID; a dead letter also the DLQ_ORIGIN_* properties (dead-letter-origin.ts).
import { ExtFieldReader, HeaderFieldError } from '../../protocol/ext-field-reader.js';
import { PROPERTY } from '../../protocol/message-properties-codec.js';
import { responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import type { MessageInput } from '../../storage/index.js';
import { DLQ_QUEUE_COUNT, RETRY_QUEUE_COUNT } from '../broker-constants.js';
import type { BrokerContext } from '../broker-context.js';
import { HeartbeatError, groupName } from './heartbeat-body.js';
import { recordDeadLetterOrigin } from '../delivery/dead-letter-origin.js';
import type { Channel } from '../../server/remoting-server.js';
import { storeErrorResponse } from './store-error-response.js';
import { topicConfig } from '../state/topic-config-manager.js';
import { RETRY_TOPIC_PREFIX, DLQ_TOPIC_PREFIX } from '../../protocol/name-rules.js';

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
    const config = await this.context.groups.ensure(group);
    const original = this.context.store.readAt(offset);
    if (original === undefined)
      return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, `no message at offset ${offset}`);
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

  private async ensureTopic(topic: string, queues: number): Promise<void> {
    if (this.context.topics.get(topic) !== undefined) return;
    await this.context.topics.upsert(topicConfig(topic, queues));
    this.context.registerSoon();
  }
}
