// Administrative and lookup requests: topics, offsets, message lookup by id and key,
// consumption progress. Bodies are JSON; shapes are documented in client/admin/admin.ts.
import { ExtFieldReader, HeaderFieldError } from '../../protocol/ext-field-reader.js';
import { PERMISSION } from '../../protocol/header-fields.js';
import { responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { isValidTopic } from '../../storage/index.js';
import { QUEUE_LIMIT, TOPIC_QUEUE_COUNT_MAX } from '../admin-limits.js';
import type { BrokerContext } from '../broker-context.js';
import { HeartbeatError, groupName } from './heartbeat-body.js';
import { isReservedTopic } from '../topic-check.js';

const QUERY_MESSAGE_COUNT_MAX = 64;

export class AdminProcessor {
  constructor(private readonly context: BrokerContext) {}

  /** Wraps a handler so malformed headers become SYSTEM_ERROR responses. */
  guarded(handler: (request: RemotingCommand, fields: ExtFieldReader) => RemotingCommand | Promise<RemotingCommand>) {
    return async (request: RemotingCommand): Promise<RemotingCommand> => {
      try {
        return await handler(request, new ExtFieldReader(request.extFields));
      } catch (error) {
        if (error instanceof HeaderFieldError || error instanceof HeartbeatError) {
          return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, error.message);
        }
        throw error;
      }
    };
  }

  async createTopic(request: RemotingCommand, fields: ExtFieldReader): Promise<RemotingCommand> {
    const topic = fields.string('topic');
    if (!isValidTopic(topic) || isReservedTopic(topic))
      return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, `invalid topic name '${topic.slice(0, 200)}'`);
    const read = fields.optionalInteger('readQueueNums') ?? this.context.options.defaultTopicQueueCount;
    const write = fields.optionalInteger('writeQueueNums') ?? read;
    const perm = fields.optionalInteger('perm') ?? PERMISSION.readWrite;
    if (read < 1 || write < 1 || read > TOPIC_QUEUE_COUNT_MAX || write > TOPIC_QUEUE_COUNT_MAX || (perm & ~0xf) !== 0) {
      return responseTo(
        request,
        RESPONSE_CODE.SYSTEM_ERROR,
        `queue counts must be 1..${TOPIC_QUEUE_COUNT_MAX} and perm 0..15`,
      );
    }
    const order = fields.boolean('order', false);
    await this.context.topics.upsert({
      topicName: topic,
      readQueueNums: read,
      writeQueueNums: write,
      perm,
      order,
      topicSysFlag: 0,
    });
    this.context.registerSoon();
    return responseTo(request, RESPONSE_CODE.SUCCESS);
  }

  /** DELETE_TOPIC_IN_BROKER: the config (no more sends or pulls), then the queue files. */
  async deleteTopic(request: RemotingCommand, fields: ExtFieldReader): Promise<RemotingCommand> {
    const topic = fields.string('topic');
    if (!isValidTopic(topic) || isReservedTopic(topic))
      return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, `invalid topic name '${topic.slice(0, 200)}'`);
    await this.context.topics.delete(topic);
    await this.context.deleteTopicQueues(topic);
    this.context.registerSoon();
    return responseTo(request, RESPONSE_CODE.SUCCESS);
  }

  allTopics(request: RemotingCommand): RemotingCommand {
    return jsonResponse(request, {
      topicConfigTable: Object.fromEntries([...this.context.topics.all()].map((t) => [t.topicName, t])),
    });
  }

  maxOffset(request: RemotingCommand, fields: ExtFieldReader): RemotingCommand {
    return responseTo(request, RESPONSE_CODE.SUCCESS, undefined, {
      offset: this.context.store.maxQueueOffset(fields.string('topic'), fields.integer('queueId')),
    });
  }

  minOffset(request: RemotingCommand, fields: ExtFieldReader): RemotingCommand {
    return responseTo(request, RESPONSE_CODE.SUCCESS, undefined, {
      offset: this.context.store.minQueueOffset(fields.string('topic'), fields.integer('queueId')),
    });
  }

  searchOffset(request: RemotingCommand, fields: ExtFieldReader): RemotingCommand {
    const offset = this.context.store.searchQueueOffsetByTime(
      fields.string('topic'),
      fields.integer('queueId'),
      fields.integer('timestamp'),
    );
    return responseTo(request, RESPONSE_CODE.SUCCESS, undefined, { offset });
  }

  earliestStoreTime(request: RemotingCommand, fields: ExtFieldReader): RemotingCommand {
    const topic = fields.string('topic');
    const queueId = fields.integer('queueId');
    const first = this.context.store.read(topic, queueId, this.context.store.minQueueOffset(topic, queueId), 1)
      .messages[0];
    return responseTo(request, RESPONSE_CODE.SUCCESS, undefined, { timestamp: first?.storeTimestamp ?? 0 });
  }

  /** VIEW_MESSAGE_BY_ID: the record at a commit log offset (decoded from an offset msg id). */
  viewById(request: RemotingCommand, fields: ExtFieldReader): RemotingCommand {
    const message = this.context.store.readAt(fields.integer('offset'));
    if (message === undefined || isReservedTopic(message.topic))
      return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, 'no message at that offset');
    return responseTo(request, RESPONSE_CODE.SUCCESS, undefined, undefined, Buffer.from(message.raw));
  }

  /** QUERY_MESSAGE: messages of a topic by key or unique key (msgId), newest capped. */
  queryMessage(request: RemotingCommand, fields: ExtFieldReader): RemotingCommand {
    const topic = fields.string('topic');
    if (isReservedTopic(topic)) return responseTo(request, RESPONSE_CODE.NO_PERMISSION, 'reserved topic');
    const maxCount = Math.max(1, Math.min(fields.optionalInteger('maxNum') ?? 32, QUERY_MESSAGE_COUNT_MAX));
    const found = this.context.store.queryByKey(topic, fields.string('key'), maxCount);
    if (found.length === 0) return responseTo(request, RESPONSE_CODE.QUERY_NOT_FOUND, 'no message with that key');
    return responseTo(
      request,
      RESPONSE_CODE.SUCCESS,
      undefined,
      { indexLastUpdateTimestamp: Date.now(), indexLastUpdatePhyoffset: this.context.store.stats().maxOffset },
      Buffer.concat(found.map((message) => message.raw)),
    );
  }

  /** GET_TOPIC_STATS_INFO: min/max offset and last store time per queue. */
  topicStats(request: RemotingCommand, fields: ExtFieldReader): RemotingCommand {
    const topic = fields.string('topic');
    const config = this.context.topics.get(topic);
    if (config === undefined)
      return responseTo(request, RESPONSE_CODE.TOPIC_NOT_EXIST, `topic ${topic} does not exist`);
    const queues = [];
    for (let queueId = 0; queueId < Math.min(config.readQueueNums, QUEUE_LIMIT); queueId++) {
      const max = this.context.store.maxQueueOffset(topic, queueId);
      const last = max > 0 ? this.context.store.read(topic, queueId, max - 1, 1).messages[0] : undefined;
      queues.push({
        queueId,
        minOffset: this.context.store.minQueueOffset(topic, queueId),
        maxOffset: max,
        lastUpdateTimestamp: last?.storeTimestamp ?? 0,
      });
    }
    return jsonResponse(request, { brokerName: this.context.options.brokerName, topic, queues });
  }

  /** GET_CONSUME_STATS: broker and consumer offset per queue of the group's topics. */
  consumeStats(request: RemotingCommand, fields: ExtFieldReader): RemotingCommand {
    const group = groupName(fields.string('consumerGroup'));
    const only = fields.optionalString('topic');
    const topics = new Set(this.context.offsets.offsetsOf(group).map((entry) => entry.topic));
    for (const subscription of this.context.consumers.get(group)?.subscriptions.keys() ?? []) topics.add(subscription);
    const queues = [];
    for (const topic of topics) {
      if (only !== undefined && only !== '' && topic !== only) continue;
      const config = this.context.topics.get(topic);
      for (let queueId = 0; queueId < Math.min(config?.readQueueNums ?? 0, QUEUE_LIMIT); queueId++) {
        const brokerOffset = this.context.store.maxQueueOffset(topic, queueId);
        const committed = this.context.offsets.query(group, topic, queueId);
        const consumerOffset = committed ?? 0;
        queues.push({
          topic,
          brokerName: this.context.options.brokerName,
          queueId,
          brokerOffset,
          consumerOffset,
          // Tributary's own field: whether the group ever committed here (consumerOffset 0 can be either).
          committed: committed !== undefined,
          lag: Math.max(0, brokerOffset - consumerOffset),
        });
      }
    }
    return jsonResponse(request, { group, queues });
  }

  /** GET_CONSUMER_CONNECTION_LIST: live members of a group. */
  consumerConnections(request: RemotingCommand, fields: ExtFieldReader): RemotingCommand {
    const group = this.context.consumers.get(groupName(fields.string('consumerGroup')));
    if (group === undefined)
      return responseTo(request, RESPONSE_CODE.CONSUMER_NOT_ONLINE, 'the group has no live consumer');
    const clients = [...group.clients.values()].map((c) => ({
      clientId: c.clientId,
      address: c.channel.remoteAddress,
      lastHeartbeat: c.lastHeartbeatMs,
    }));
    return jsonResponse(request, {
      group: group.group,
      messageModel: group.messageModel,
      consumeType: group.consumeType,
      subscriptions: [...group.subscriptions.values()],
      clients,
    });
  }
}

function jsonResponse(request: RemotingCommand, value: unknown): RemotingCommand {
  return responseTo(request, RESPONSE_CODE.SUCCESS, undefined, undefined, Buffer.from(JSON.stringify(value)));
}
