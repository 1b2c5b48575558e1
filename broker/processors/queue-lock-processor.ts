// LOCK_BATCH_MQ (41) and UNLOCK_BATCH_MQ (42): orderly consumers lock the queues they consume
// (see queue-lock-manager.ts). Both take RocketMQ's LockBatchRequestBody as JSON:
//
//   {"consumerGroup": "g", "clientId": "ip@pid#n", "onlyThisBroker": false,
//    "mqSet": [{"topic": "orders", "brokerName": "broker-a", "queueId": 3}, ...]}
//
// The lock response body is {"lockOKMQSet": [...]}: the queues of mqSet that clientId now holds.
// Every queue is locked on this broker whatever its brokerName says (a client sends each broker
// its own queues); onlyThisBroker is accepted and has nothing to change. Unlock is often sent
// oneway; the server then sends no response.
import { bodyOf, responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { isValidTopic } from '../../storage/index.js';
import { LOCK_BATCH_QUEUES_MAX } from '../broker-constants.js';
import { HeartbeatError, groupName } from './heartbeat-body.js';
import type { LockedQueue, QueueLockManager } from '../state/queue-lock-manager.js';

interface LockBatchRequest {
  readonly group: string;
  readonly clientId: string;
  readonly queues: LockedQueue[];
}

export class QueueLockProcessor {
  constructor(private readonly locks: QueueLockManager) {}

  async lock(request: RemotingCommand): Promise<RemotingCommand> {
    const parsed = parseLockBatch(request);
    if (typeof parsed === 'string') return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, parsed);
    const granted = await this.locks.lock(parsed.group, parsed.clientId, parsed.queues);
    const body = { lockOKMQSet: granted.map(({ topic, brokerName, queueId }) => ({ topic, brokerName, queueId })) };
    return responseTo(request, RESPONSE_CODE.SUCCESS, undefined, undefined, Buffer.from(JSON.stringify(body)));
  }

  async unlock(request: RemotingCommand): Promise<RemotingCommand> {
    const parsed = parseLockBatch(request);
    if (typeof parsed === 'string') return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, parsed);
    await this.locks.unlock(parsed.group, parsed.clientId, parsed.queues);
    return responseTo(request, RESPONSE_CODE.SUCCESS);
  }
}

/** The request, or a sentence saying what is wrong with it. */
function parseLockBatch(request: RemotingCommand): LockBatchRequest | string {
  let data: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(bodyOf(request).toString('utf8'));
    if (parsed === null || typeof parsed !== 'object') return 'the lock batch body must be a JSON object';
    data = parsed as Record<string, unknown>;
  } catch {
    return 'the lock batch body is not JSON';
  }
  let group: string;
  try {
    group = groupName(data.consumerGroup);
  } catch (error) {
    if (error instanceof HeartbeatError) return error.message;
    throw error;
  }
  const clientId = data.clientId;
  if (typeof clientId !== 'string' || clientId === '') return 'clientId missing';
  if (!Array.isArray(data.mqSet)) return 'mqSet must be an array';
  if (data.mqSet.length > LOCK_BATCH_QUEUES_MAX) return `mqSet holds more than ${LOCK_BATCH_QUEUES_MAX} queues`;
  const queues: LockedQueue[] = [];
  for (const item of data.mqSet as unknown[]) {
    const queue = item as Partial<Record<keyof LockedQueue, unknown>> | null;
    if (queue === null || typeof queue !== 'object') return 'mqSet entries must be objects';
    const { topic, brokerName, queueId } = queue;
    if (typeof topic !== 'string' || !isValidTopic(topic)) return `invalid topic in mqSet`;
    if (typeof brokerName !== 'string' || brokerName === '') return 'brokerName missing in mqSet';
    const id = typeof queueId === 'string' ? Number(queueId) : queueId;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) return 'queueId must be a non-negative integer';
    queues.push({ topic, brokerName, queueId: id });
  }
  return { group, clientId, queues };
}
