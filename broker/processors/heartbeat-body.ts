// The HEART_BEAT (34) body: RocketMQ's HeartbeatData as JSON (clientID, producerDataSet,
// consumerDataSet with subscriptions). Parsed apart from its processor because the access check
// reads it too, before the processor runs.
import { groupNameProblem, isValidTopic } from '../../protocol/name-rules.js';
import type { ConsumerRegistration, SubscriptionInfo } from '../clients/consumer-manager.js';

export interface HeartbeatData {
  readonly clientId: string;
  readonly producerGroups: string[];
  readonly consumers: ConsumerRegistration[];
}

export class HeartbeatError extends Error {
  override readonly name = 'HeartbeatError';
}

export function parseHeartbeat(body: Buffer): HeartbeatData {
  const data = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  const clientId = data.clientID;
  if (typeof clientId !== 'string' || clientId === '') throw new HeartbeatError('clientID missing');
  const producerGroups = arrayOf(data.producerDataSet).map((producer) => groupName(producer.groupName));
  const consumers = arrayOf(data.consumerDataSet).map((consumer): ConsumerRegistration => {
    const subscriptions = arrayOf(consumer.subscriptionDataSet).map((s): SubscriptionInfo => {
      if (typeof s.topic !== 'string' || !isValidTopic(s.topic)) throw new HeartbeatError('bad subscription topic');
      return {
        topic: s.topic,
        subString: typeof s.subString === 'string' ? s.subString : '*',
        expressionType: typeof s.expressionType === 'string' ? s.expressionType : 'TAG',
      };
    });
    return {
      group: groupName(consumer.groupName, 'consumer'),
      clientId,
      consumeType: String(consumer.consumeType ?? 'CONSUME_PASSIVELY'),
      messageModel: String(consumer.messageModel ?? 'CLUSTERING'),
      consumeFromWhere: String(consumer.consumeFromWhere ?? 'CONSUME_FROM_LAST_OFFSET'),
      subscriptions,
    };
  });
  return { clientId, producerGroups, consumers };
}

function arrayOf(value: unknown): Record<string, unknown>[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new HeartbeatError('expected an array');
  return value.map((item) => {
    if (item === null || typeof item !== 'object') throw new HeartbeatError('expected an object');
    return item as Record<string, unknown>;
  });
}

/**
 * Group names follow the topic name rules (RocketMQ validates them alike); a consumer group's
 * must leave room for its %RETRY% topic. The client checks the same rule (protocol/name-rules.ts).
 */
export function groupName(value: unknown, kind: 'consumer' | 'producer' = 'producer'): string {
  const problem = groupNameProblem(value, kind);
  if (problem !== undefined)
    throw new HeartbeatError(`invalid group name '${String(value).slice(0, 200)}': ${problem}`);
  return value as string;
}
