// INVOKE_BROKER_TO_RESET_OFFSET (222): moves a consumer group's committed offsets on every queue
// of a topic to a time (RocketMQ's `timestamp`), or with Tributary's `position` to the earliest
// or latest kept message or to an absolute `offset` (clamped to what the queue holds). The new
// offsets are logged first, then each live member is told over its connection
// (RESET_CONSUMER_CLIENT_OFFSET, oneway as RocketMQ's Broker2Client sends it) and restarts those
// queues there at once. With no live member the offsets are simply written.
import type { ExtFieldReader } from '../../protocol/ext-field-reader.js';
import { responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { encodeResetOffsetBody, type QueueOffset } from '../../protocol/reset-offset-body.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { QUEUE_LIMIT } from '../admin-limits.js';
import type { BrokerContext } from '../broker-context.js';
import { groupName } from './heartbeat-body.js';

const POSITIONS = ['time', 'earliest', 'latest', 'offset'] as const;
type Position = (typeof POSITIONS)[number];

export class ResetOffsetProcessor {
  constructor(private readonly context: BrokerContext) {}

  async reset(request: RemotingCommand, fields: ExtFieldReader): Promise<RemotingCommand> {
    const topic = fields.string('topic');
    const group = groupName(fields.string('group'));
    const position = (fields.optionalString('position') ?? 'time') as Position;
    if (!POSITIONS.includes(position))
      return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, `position must be one of ${POSITIONS.join(', ')}`);
    const config = this.context.topics.get(topic);
    if (config === undefined)
      return responseTo(request, RESPONSE_CODE.TOPIC_NOT_EXIST, `topic ${topic} does not exist`);
    const target = (queueId: number): number => this.targetOffset(topic, queueId, position, fields);
    const offsets: QueueOffset[] = [];
    for (let queueId = 0; queueId < Math.min(config.readQueueNums, QUEUE_LIMIT); queueId++) {
      offsets.push({ topic, brokerName: this.context.options.brokerName, queueId, offset: target(queueId) });
    }
    await this.context.offsets.commit(
      group,
      topic,
      offsets.map((entry) => [entry.queueId, entry.offset]),
    );
    const body = encodeResetOffsetBody(offsets);
    let notified = 0;
    for (const client of this.context.consumers.get(group)?.clients.values() ?? []) {
      const header = { topic, group, timestamp: fields.optionalInteger('timestamp') ?? 0, isForce: true };
      if (client.channel.sendOneway(REQUEST_CODE.RESET_CONSUMER_CLIENT_OFFSET, header, body)) notified++;
    }
    return responseTo(request, RESPONSE_CODE.SUCCESS, undefined, { notifiedClients: notified }, body);
  }

  private targetOffset(topic: string, queueId: number, position: Position, fields: ExtFieldReader): number {
    const { store } = this.context;
    const min = store.minQueueOffset(topic, queueId);
    const max = store.maxQueueOffset(topic, queueId);
    switch (position) {
      case 'earliest':
        return min;
      case 'latest':
        return max;
      case 'offset':
        return Math.max(min, Math.min(max, fields.integer('offset')));
      case 'time':
        return store.searchQueueOffsetByTime(topic, queueId, fields.integer('timestamp'));
    }
  }
}
