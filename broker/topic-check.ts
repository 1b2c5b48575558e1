// Rules on which topics clients may write and read, and auto-creation.
import { PERMISSION } from '../protocol/header-fields.js';
import { RESPONSE_CODE } from '../protocol/response-code.js';
import { isValidTopic } from '../storage/index.js';
import { SYSTEM_TOPIC } from './broker-constants.js';
import type { BrokerContext } from './broker-context.js';
import { STATE_TOPIC } from './state/log-backed-state-machine.js';
import { topicConfig, type TopicConfig } from './state/topic-config-manager.js';
import { RETRY_TOPIC_PREFIX, DLQ_TOPIC_PREFIX } from '../protocol/name-rules.js';

const RESERVED_TOPICS: ReadonlySet<string> = new Set([STATE_TOPIC, ...Object.values(SYSTEM_TOPIC)]);

/** Topics internal to the broker that clients may never write, read or create. */
export function isReservedTopic(topic: string): boolean {
  return RESERVED_TOPICS.has(topic);
}

export function isRetryOrDeadLetterTopic(topic: string): boolean {
  return topic.startsWith(RETRY_TOPIC_PREFIX) || topic.startsWith(DLQ_TOPIC_PREFIX);
}

export type TopicCheck = { ok: true; config: TopicConfig } | { ok: false; code: number; remark: string };

/** The config of a topic a client may write, auto-creating it when the broker allows. */
export async function writableTopic(
  context: BrokerContext,
  topic: string,
  queueCountHint: number,
): Promise<TopicCheck> {
  if (!isValidTopic(topic))
    return {
      ok: false,
      code: RESPONSE_CODE.MESSAGE_ILLEGAL,
      remark: `invalid topic name '${String(topic).slice(0, 200)}'`,
    };
  if (isReservedTopic(topic))
    return { ok: false, code: RESPONSE_CODE.NO_PERMISSION, remark: `topic ${topic} is reserved` };
  let config = context.topics.get(topic);
  if (config === undefined && context.options.autoCreateTopics && !isRetryOrDeadLetterTopic(topic)) {
    const queues =
      queueCountHint > 0
        ? Math.min(queueCountHint, context.options.defaultTopicQueueCount)
        : context.options.defaultTopicQueueCount;
    config = topicConfig(topic, queues);
    await context.topics.upsert(config);
    context.registerSoon();
  }
  if (config === undefined) {
    return { ok: false, code: RESPONSE_CODE.TOPIC_NOT_EXIST, remark: `topic[${topic}] not exist, apply first please!` };
  }
  if ((config.perm & PERMISSION.write) === 0)
    return { ok: false, code: RESPONSE_CODE.NO_PERMISSION, remark: `topic ${topic} is not writable` };
  return { ok: true, config };
}

/** The config of a topic a client may read. */
export function readableTopic(context: BrokerContext, topic: string): TopicCheck {
  if (isReservedTopic(topic))
    return { ok: false, code: RESPONSE_CODE.NO_PERMISSION, remark: `topic ${topic} is reserved` };
  const config = context.topics.get(topic);
  if (config === undefined) {
    return { ok: false, code: RESPONSE_CODE.TOPIC_NOT_EXIST, remark: `topic[${topic}] not exist, apply first please!` };
  }
  if ((config.perm & PERMISSION.read) === 0)
    return { ok: false, code: RESPONSE_CODE.NO_PERMISSION, remark: `topic ${topic} is not readable` };
  return { ok: true, config };
}
