// HEART_BEAT (34) and UNREGISTER_CLIENT (35): who is producing and consuming. A consumer's
// first heartbeat creates its group config and, in clustering mode, its %RETRY% topic, so
// name servers route the retry topic before the first message needs it.
//
// With access control, a heartbeat naming a producer group the account may not PUB to was
// refused before it got here (request-permission-table.ts), so transaction check-backs, which
// carry pending message bodies, only reach producers of accounts allowed in the group. The
// inner producer group RocketMQ clients always announce is registered only when permitted.
import { ExtFieldReader } from '../client/remoting/ext-field-reader.js';
import { groupNameProblem } from '../client/remoting/group-name-rule.js';
import { bodyOf, responseTo, type RemotingCommand } from '../client/remoting/remoting-command.js';
import { RESPONSE_CODE } from '../client/remoting/response-code.js';
import { isValidTopic, StoreError } from '../storage/index.js';
import { CLIENT_INNER_PRODUCER_GROUP, RETRY_QUEUE_COUNT, RETRY_TOPIC_PREFIX } from './broker-constants.js';
import type { BrokerContext } from './broker-context.js';
import type { ConsumerRegistration, SubscriptionInfo } from './consumer-manager.js';
import type { Channel } from './remoting-server.js';
import { storeErrorResponse } from './store-error-response.js';
import { topicConfig } from './topic-config-manager.js';

interface HeartbeatData {
  readonly clientId: string;
  readonly producerGroups: string[];
  readonly consumers: ConsumerRegistration[];
}

export class HeartbeatError extends Error {
  override readonly name = 'HeartbeatError';
}

export class ClientManageProcessor {
  constructor(private readonly context: BrokerContext) {}

  async heartbeat(request: RemotingCommand, channel: Channel): Promise<RemotingCommand> {
    let data: HeartbeatData;
    try {
      data = parseHeartbeat(bodyOf(request));
    } catch (error) {
      return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, `bad heartbeat: ${(error as Error).message}`);
    }
    for (const group of data.producerGroups) {
      if (group === CLIENT_INNER_PRODUCER_GROUP && this.innerGroupRefused(request, channel)) continue;
      this.context.producers.register(group, data.clientId, channel);
    }
    const failures: string[] = [];
    for (const consumer of data.consumers) {
      try {
        await this.context.groups.ensure(consumer.group);
        if (consumer.messageModel !== 'BROADCASTING') await this.ensureRetryTopic(consumer.group);
      } catch (error) {
        // A full or failed store must not stop consumption, which needs no disk: the consumer
        // is registered with its group's defaults, and the client hears why they are not stored.
        if (!(error instanceof StoreError)) throw error;
        failures.push(`${consumer.group}: ${storeErrorResponse(error).remark}`);
      }
      this.context.consumers.register(consumer, channel);
    }
    const remark = failures.length === 0 ? undefined : `registered; group config not stored: ${failures.join('; ')}`;
    return responseTo(request, RESPONSE_CODE.SUCCESS, remark);
  }

  unregister(request: RemotingCommand): RemotingCommand {
    const fields = new ExtFieldReader(request.extFields);
    const clientId = fields.optionalString('clientID');
    if (clientId === undefined) return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, 'missing clientID');
    const producerGroup = fields.optionalString('producerGroup');
    const consumerGroup = fields.optionalString('consumerGroup');
    if (producerGroup !== undefined) this.context.producers.unregister(producerGroup, clientId);
    if (consumerGroup !== undefined) this.context.consumers.unregister(consumerGroup, clientId);
    return responseTo(request, RESPONSE_CODE.SUCCESS);
  }

  private innerGroupRefused(request: RemotingCommand, channel: Channel): boolean {
    const need = { kind: 'group', name: CLIENT_INNER_PRODUCER_GROUP, permission: 'PUB' } as const;
    return this.context.access.refusal(request, channel, [need]) !== undefined;
  }

  private async ensureRetryTopic(group: string): Promise<void> {
    const topic = RETRY_TOPIC_PREFIX + group;
    if (this.context.topics.get(topic) !== undefined) return;
    await this.context.topics.upsert(topicConfig(topic, RETRY_QUEUE_COUNT));
    this.context.registerSoon();
  }
}

/** Parses HeartbeatData JSON (RocketMQ's shape), checking every name used later. */
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
 * must leave room for its %RETRY% topic. The client checks the same rule (group-name-rule.ts).
 */
export function groupName(value: unknown, kind: 'consumer' | 'producer' = 'producer'): string {
  const problem = groupNameProblem(value, kind);
  if (problem !== undefined)
    throw new HeartbeatError(`invalid group name '${String(value).slice(0, 200)}': ${problem}`);
  return value as string;
}
