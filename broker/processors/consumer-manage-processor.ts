// GET_CONSUMER_LIST_BY_GROUP (38), QUERY_CONSUMER_OFFSET (14), UPDATE_CONSUMER_OFFSET (15).
//
// What UPDATE_CONSUMER_OFFSET stores is bounded, so a client cannot grow the offset table with
// queues that do not exist or store an offset no pull can use: a topic the broker does not
// have is TOPIC_NOT_EXIST; a queue id outside the topic's queues ([QUEUE_ID_OUT_OF_RANGE]) and
// a negative offset ([NEGATIVE_OFFSET]) are refused SYSTEM_ERROR, as RocketMQ 5 refuses an
// out-of-range queue id. An offset past the queue's end is stored as the end (the next message
// to come), not refused: after a crash lost unflushed messages a consumer may hold offsets past
// the recovered end, and its pulls would be corrected to the end anyway.
//
// A group with no committed offset gets RocketMQ's answer (new-group-start-offset.ts).
import { HeartbeatError, groupName } from './heartbeat-body.js';
import { ExtFieldReader, HeaderFieldError } from '../../protocol/ext-field-reader.js';
import { responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import type { BrokerContext } from '../broker-context.js';
import { newGroupStartOffset } from './new-group-start-offset.js';

export class ConsumerManageProcessor {
  constructor(private readonly context: BrokerContext) {}

  consumerList(request: RemotingCommand): RemotingCommand {
    const group = new ExtFieldReader(request.extFields).optionalString('consumerGroup') ?? '';
    const ids = this.context.consumers.clientIds(group);
    if (ids.length === 0) return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, `no consumer for group ${group}`);
    return responseTo(
      request,
      RESPONSE_CODE.SUCCESS,
      undefined,
      undefined,
      Buffer.from(JSON.stringify({ consumerIdList: ids })),
    );
  }

  queryOffset(request: RemotingCommand): RemotingCommand {
    const read = readOffsetHeader(request);
    if ('error' in read) return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, read.error);
    const offset =
      this.context.offsets.query(read.group, read.topic, read.queueId) ??
      newGroupStartOffset(this.context.store, read.topic, read.queueId, this.context.options.messageInMemoryBytes);
    if (offset === undefined) return responseTo(request, RESPONSE_CODE.QUERY_NOT_FOUND, 'no committed offset');
    return responseTo(request, RESPONSE_CODE.SUCCESS, undefined, { offset });
  }

  async updateOffset(request: RemotingCommand): Promise<RemotingCommand> {
    const read = readOffsetHeader(request);
    if ('error' in read) return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, read.error);
    const config = this.context.topics.get(read.topic);
    if (config === undefined)
      return responseTo(request, RESPONSE_CODE.TOPIC_NOT_EXIST, `topic ${read.topic} does not exist`);
    const queues = Math.max(config.readQueueNums, config.writeQueueNums);
    if (read.queueId < 0 || read.queueId >= queues) {
      const remark = `[QUEUE_ID_OUT_OF_RANGE] queueId ${read.queueId}: topic ${read.topic} has ${queues} queues`;
      return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, remark);
    }
    let offset: number;
    try {
      offset = new ExtFieldReader(request.extFields).integer('commitOffset');
    } catch (error) {
      if (error instanceof HeaderFieldError) return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, error.message);
      throw error;
    }
    if (offset < 0) return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, `[NEGATIVE_OFFSET] commitOffset ${offset}`);
    const end = this.context.store.maxQueueOffset(read.topic, read.queueId);
    await this.context.offsets.commit(read.group, read.topic, [[read.queueId, Math.min(offset, end)]]);
    return responseTo(request, RESPONSE_CODE.SUCCESS);
  }
}

function readOffsetHeader(
  request: RemotingCommand,
): { group: string; topic: string; queueId: number } | { error: string } {
  try {
    const fields = new ExtFieldReader(request.extFields);
    return {
      group: groupName(fields.string('consumerGroup')),
      topic: fields.string('topic'),
      queueId: fields.integer('queueId'),
    };
  } catch (error) {
    if (error instanceof HeaderFieldError || error instanceof HeartbeatError) return { error: error.message };
    throw error;
  }
}
