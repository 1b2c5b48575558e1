// SEND_MESSAGE (10), SEND_MESSAGE_V2 (310, one-letter field names) and SEND_BATCH_MESSAGE
// (320): validate, pick the queue, turn an exhausted retry into a dead letter, store, answer
// with the offset message id, queue and queue offset. A prepared send (a transaction's first
// step) is stored as a half message (half-message.ts); its queue offset in the answer is the
// half queue's, which END_TRANSACTION names as tranStateTableOffset. A body with the
// compressed flag that does not inflate within the message limit is refused (MESSAGE_ILLEGAL):
// stored, it would be a record no consumer can decode.
import { SEND_MESSAGE_V2_FIELD, type SendMessageField } from '../../protocol/header-fields.js';
import { MESSAGE_SYS_FLAG } from '../../protocol/message-sys-flag.js';
import { DLQ_QUEUE_COUNT } from '../broker-constants.js';
import { DLQ_TOPIC_PREFIX, RETRY_TOPIC_PREFIX } from '../../protocol/name-rules.js';
import { decodeBatch, BatchDecodeError } from '../../protocol/batch-message-codec.js';
import { produceQuotaBusyResponse } from '../quotas/quota-busy-response.js';
import { ExtFieldReader, HeaderFieldError } from '../../protocol/ext-field-reader.js';
import {
  PROPERTY,
  decodeMessageProperties,
  isCanonicalProperties,
  isSoleUniqueKey,
} from '../../protocol/message-properties-codec.js';
import { bodyOf, responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { OffsetMessageId, findProperty, type AppendResult, type MessageInput } from '../../storage/index.js';
import type { BrokerContext } from '../broker-context.js';
import { compressedBodyProblem } from '../../protocol/compressed-body-check.js';
import { recordDeadLetterOrigin } from '../delivery/dead-letter-origin.js';
import { isHalfMessageSend, toHalfMessage } from '../transactions/half-message.js';
import type { Channel } from '../../server/remoting-server.js';
import { storeErrorResponse } from './store-error-response.js';
import { writableTopic } from '../topic-check.js';
import { topicConfig } from '../state/topic-config-manager.js';
import { tracingActive } from '../../protocol/messaging-tracing.js';
import { endStoreSpans, startStoreSpans } from './store-span.js';

interface SendHeader {
  readonly producerGroup: string;
  readonly topic: string;
  readonly queueId: number;
  readonly queueCountHint: number;
  readonly sysFlag: number;
  readonly bornTimestamp: number;
  readonly flag: number;
  readonly properties: string;
  readonly reconsumeTimes: number;
  readonly maxReconsumeTimes: number | undefined;
}

export class SendMessageProcessor {
  private nextQueue = 0;

  constructor(private readonly context: BrokerContext) {}

  async send(request: RemotingCommand, channel: Channel): Promise<RemotingCommand> {
    let header: SendHeader;
    try {
      header = readSendHeader(request);
    } catch (error) {
      return responseTo(request, RESPONSE_CODE.MESSAGE_ILLEGAL, (error as Error).message);
    }
    const body = bodyOf(request);
    const problem = compressedBodyProblem(header.sysFlag, body, this.context.store.options.maxMessageBytes);
    if (problem !== undefined) return responseTo(request, RESPONSE_CODE.MESSAGE_ILLEGAL, problem);
    const target = await this.target(request, header);
    if ('code' in target) return responseTo(request, target.code, target.remark);
    const overQuota = produceQuotaBusyResponse(this.context.quotas, request, header.topic, 1, body.length);
    if (overQuota !== undefined) return overQuota;
    if (isPlainSend(header, target.deadLetter)) return this.sendPlain(request, header, target, body, channel);
    const properties = decodeMessageProperties(header.properties);
    const half = isHalfMessageSend(header.sysFlag, properties);
    if (half && Number(properties[PROPERTY.delayLevel] ?? 0) > 0)
      return responseTo(request, RESPONSE_CODE.MESSAGE_ILLEGAL, 'a transactional message cannot be delayed');
    const message: MessageInput = {
      topic: target.topic,
      queueId: target.queueId,
      body,
      properties,
      flag: header.flag,
      sysFlag: header.sysFlag,
      bornTimestamp: header.bornTimestamp,
      bornHost: bornHost(channel),
      reconsumeTimes: header.reconsumeTimes,
    };
    if (target.deadLetter) {
      recordDeadLetterOrigin(properties, {
        topic: properties[PROPERTY.retryTopic] ?? header.topic,
        msgId: properties[PROPERTY.originMessageId] ?? properties[PROPERTY.uniqueKey] ?? '',
        reconsumeTimes: header.reconsumeTimes,
      });
    }
    // Spans not yet handed to endStoreSpans: ended in the catch if the append throws at once.
    let spans = tracingActive()
      ? startStoreSpans({ ...target, producerGroup: header.producerGroup }, [properties])
      : undefined;
    try {
      // A half message is stored as it is: no delay handling may move it anywhere.
      const appended = half
        ? this.context.writer.putAsIs(
            toHalfMessage(message, properties[PROPERTY.producerGroup] ?? header.producerGroup),
          )
        : this.context.writer.put(message, channel);
      if (spans !== undefined)
        endStoreSpans(
          spans,
          appended.then((result) => [result]),
        );
      spans = undefined;
      const result = await appended;
      this.context.traffic.messagesIn(target.topic, 1, message.body.length);
      return this.success(request, [result], target.queueId);
    } catch (error) {
      if (spans !== undefined) endStoreSpans(spans, Promise.reject(error));
      const { code, remark } = storeErrorResponse(error);
      return responseTo(request, code, remark);
    }
  }

  /**
   * A send with nothing for the broker to act on in its properties (isPlainSend): stored with
   * the properties string as the producer encoded it, as batches are, with no decoding into an
   * object and encoding back (about a microsecond per send).
   */
  private async sendPlain(
    request: RemotingCommand,
    header: SendHeader,
    target: { topic: string; queueId: number },
    body: Buffer,
    channel: Channel,
  ): Promise<RemotingCommand> {
    try {
      const result = await this.context.writer.put(
        {
          topic: target.topic,
          queueId: target.queueId,
          body,
          encodedProperties: header.properties,
          flag: header.flag,
          sysFlag: header.sysFlag,
          bornTimestamp: header.bornTimestamp,
          bornHost: bornHost(channel),
          reconsumeTimes: header.reconsumeTimes,
        },
        channel,
      );
      this.context.traffic.messagesIn(target.topic, 1, body.length);
      return this.success(request, [result], target.queueId);
    } catch (error) {
      const { code, remark } = storeErrorResponse(error);
      return responseTo(request, code, remark);
    }
  }

  async sendBatch(request: RemotingCommand, channel: Channel): Promise<RemotingCommand> {
    let header: SendHeader;
    let entries: ReturnType<typeof decodeBatch>;
    try {
      header = readSendHeader(request);
      entries = decodeBatch(bodyOf(request));
    } catch (error) {
      if (error instanceof HeaderFieldError || error instanceof BatchDecodeError) {
        return responseTo(request, RESPONSE_CODE.MESSAGE_ILLEGAL, error.message);
      }
      throw error;
    }
    if (entries.length === 0) return responseTo(request, RESPONSE_CODE.MESSAGE_ILLEGAL, 'empty batch');
    const maxBodyBytes = this.context.store.options.maxMessageBytes;
    for (const [index, entry] of entries.entries()) {
      const problem = compressedBodyProblem(header.sysFlag, entry.body, maxBodyBytes);
      if (problem !== undefined)
        return responseTo(request, RESPONSE_CODE.MESSAGE_ILLEGAL, `batch entry ${index}: ${problem}`);
    }
    const target = await this.target(request, header);
    if ('code' in target) return responseTo(request, target.code, target.remark);
    const bytes = entries.reduce((sum, entry) => sum + entry.body.length, 0);
    const overQuota = produceQuotaBusyResponse(this.context.quotas, request, header.topic, entries.length, bytes);
    if (overQuota !== undefined) return overQuota;
    const host = bornHost(channel);
    const sysFlag = header.sysFlag & ~MESSAGE_SYS_FLAG.transactionMask;
    const messages: MessageInput[] = entries.map((entry) => {
      // Batches carry no delay. Properties without one are stored exactly as they came, with
      // no decoding and re-encoding per message (that was a sixth of the broker's send CPU).
      const delayed =
        !isSoleUniqueKey(entry.properties) && findProperty(entry.properties, PROPERTY.delayLevel) !== undefined;
      const properties = delayed ? withoutDelay(entry.properties) : undefined;
      return {
        topic: target.topic,
        queueId: target.queueId,
        body: entry.body,
        properties,
        encodedProperties: delayed ? undefined : entry.properties,
        flag: entry.flag,
        sysFlag,
        bornTimestamp: header.bornTimestamp,
        bornHost: host,
      };
    });
    // Spans not yet handed to endStoreSpans: ended in the catch if the append throws at once.
    let spans = tracingActive()
      ? startStoreSpans(
          { ...target, producerGroup: header.producerGroup },
          entries.map((entry) => decodeMessageProperties(entry.properties)),
        )
      : undefined;
    try {
      const appended = this.context.writer.putBatch(messages, channel);
      if (spans !== undefined) endStoreSpans(spans, appended);
      spans = undefined;
      const results = await appended;
      this.context.traffic.messagesIn(target.topic, messages.length, bodyOf(request).length);
      return this.success(request, results, target.queueId);
    } catch (error) {
      if (spans !== undefined) endStoreSpans(spans, Promise.reject(error));
      const { code, remark } = storeErrorResponse(error);
      return responseTo(request, code, remark);
    }
  }

  private success(request: RemotingCommand, results: readonly AppendResult[], queueId: number): RemotingCommand {
    const msgId = OffsetMessageId.encodeList(this.context.storeHost, results);
    return responseTo(request, RESPONSE_CODE.SUCCESS, undefined, {
      msgId,
      queueId,
      queueOffset: results[0]!.queueOffset,
      transactionId: results[0]!.msgId,
    });
  }

  /** Where the message goes: its topic and queue, or a dead-letter queue, or an error. */
  private async target(
    request: RemotingCommand,
    header: SendHeader,
  ): Promise<{ topic: string; queueId: number; deadLetter: boolean } | { code: number; remark: string }> {
    const prepared = (header.sysFlag & MESSAGE_SYS_FLAG.transactionMask) === MESSAGE_SYS_FLAG.transactionPrepared;
    if (prepared && request.code === REQUEST_CODE.SEND_BATCH_MESSAGE) {
      return { code: RESPONSE_CODE.MESSAGE_ILLEGAL, remark: 'a batch cannot be transactional' };
    }
    const checked = await writableTopic(this.context, header.topic, header.queueCountHint);
    if (!checked.ok) return checked;
    const queueCount = checked.config.writeQueueNums;
    let queueId = header.queueId;
    if (queueId < 0) queueId = this.nextQueue++ % queueCount;
    if (queueId >= queueCount) {
      return {
        code: RESPONSE_CODE.MESSAGE_ILLEGAL,
        remark: `queueId ${queueId} is illegal: topic ${header.topic} has ${queueCount} queues`,
      };
    }
    if (header.topic.startsWith(RETRY_TOPIC_PREFIX) && request.code !== REQUEST_CODE.SEND_BATCH_MESSAGE) {
      const group = header.topic.slice(RETRY_TOPIC_PREFIX.length);
      const limit = header.maxReconsumeTimes ?? (await this.context.groups.ensure(group)).retryMaxTimes;
      if (header.reconsumeTimes >= limit) return this.deadLetter(group);
    }
    return { topic: header.topic, queueId, deadLetter: false };
  }

  private async deadLetter(group: string): Promise<{ topic: string; queueId: number; deadLetter: boolean }> {
    const topic = DLQ_TOPIC_PREFIX + group;
    if (this.context.topics.get(topic) === undefined) {
      await this.context.topics.upsert(topicConfig(topic, DLQ_QUEUE_COUNT));
      this.context.registerSoon();
    }
    return { topic, queueId: 0, deadLetter: true };
  }
}

/** Reads a send header in either spelling: SEND_MESSAGE's long names or V2's one letters. */
function readSendHeader(request: RemotingCommand): SendHeader {
  const fields = new ExtFieldReader(request.extFields);
  const short = request.code !== REQUEST_CODE.SEND_MESSAGE;
  const name = (field: SendMessageField): string => (short ? SEND_MESSAGE_V2_FIELD[field] : field);
  return {
    producerGroup: fields.optionalString(name('producerGroup')) ?? '',
    topic: fields.string(name('topic')),
    queueId: fields.optionalInteger(name('queueId')) ?? -1,
    queueCountHint: fields.optionalInteger(name('defaultTopicQueueNums')) ?? 0,
    sysFlag: fields.optionalInteger(name('sysFlag')) ?? 0,
    bornTimestamp: Math.max(0, fields.optionalInteger(name('bornTimestamp')) ?? Date.now()),
    flag: fields.optionalInteger(name('flag')) ?? 0,
    properties: fields.optionalString(name('properties')) ?? '',
    reconsumeTimes: fields.optionalInteger(name('reconsumeTimes')) ?? 0,
    maxReconsumeTimes: fields.optionalInteger(name('maxReconsumeTimes')),
  };
}

/** Properties the broker acts on: a message carrying any of them takes the decoding path. */
const ACTED_ON_PROPERTIES = [
  PROPERTY.delayLevel,
  PROPERTY.timerDeliverMs,
  PROPERTY.startDeliverTime,
  PROPERTY.transactionPrepared,
] as const;

/**
 * A send the broker stores as it came: not traced, not a dead letter, not a transaction's
 * prepared half, its properties in canonical form (what decoding and encoding back would
 * give, duplicate names aside), none asking for a delay, a deliver time or a half message.
 */
function isPlainSend(header: SendHeader, deadLetter: boolean): boolean {
  if (deadLetter || tracingActive()) return false;
  if ((header.sysFlag & MESSAGE_SYS_FLAG.transactionMask) === MESSAGE_SYS_FLAG.transactionPrepared) return false;
  const encoded = header.properties;
  return (
    isCanonicalProperties(encoded) && ACTED_ON_PROPERTIES.every((name) => findProperty(encoded, name) === undefined)
  );
}

/** The client's address as BORNHOST; clients reached over IPv6 are recorded as 0.0.0.0. */
function bornHost(channel: Channel): string {
  const address = channel.remoteAddress;
  return /^(::ffff:)?\d+\.\d+\.\d+\.\d+:\d+$/.test(address) ? address : '0.0.0.0:0';
}

function withoutDelay(encoded: string): Record<string, string> {
  const properties = decodeMessageProperties(encoded);
  delete properties[PROPERTY.delayLevel];
  return properties;
}
