// Admin: where one message is. Stored (topic, broker, queue, offset, store time); delivered to
// which groups (consumed once a group's committed offset on that queue is past it); retried in
// %RETRY%<group> and dead in %DLQ%<group>, found by its producer id (UNIQ_KEY) in each
// broker's key index, which send-backs keep.
import type { ClusterBroker } from './admin-cluster.js';
import type { GroupSummary } from './admin-groups.js';
import { ClientError } from '../client-error.js';
import type { ClientInstance } from '../client-instance.js';
import { DLQ_TOPIC_PREFIX, RETRY_TOPIC_PREFIX } from '../../protocol/name-rules.js';
import { decodeMessages, type ReceivedMessage } from '../../protocol/message-decoder.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { OffsetMessageId } from '../../protocol/offset-message-id.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { COPIES_MAX } from '../client-constants.js';

/** Where a stored copy of a message is: topic, broker, queue, offset and store time. */
export interface StoredPlace {
  readonly topic: string;
  readonly brokerName: string;
  readonly queueId: number;
  readonly queueOffset: number;
  readonly storeTimestamp: number;
  readonly offsetMsgId: string;
}

/** Whether a consumer group has consumed a traced message: its committed offset in the message's queue. */
export interface GroupDelivery {
  readonly group: string;
  /** The group's committed offset on the message's queue (-1: none yet). */
  readonly consumerOffset: number;
  readonly consumed: boolean;
}

/** A copy of a message in a group's retry or dead-letter topic. */
export interface RetryCopy extends StoredPlace {
  readonly group: string;
  readonly reconsumeTimes: number;
}

/** Where a message is and who consumed it (Admin.traceMessage, `tributary message trace`). */
export interface MessageTrace {
  readonly msgId: string;
  readonly stored: StoredPlace;
  readonly groups: GroupDelivery[];
  readonly retries: RetryCopy[];
  readonly deadLetters: RetryCopy[];
}

/** The Admin views a trace is made of (Admin implements it; declared here to keep imports one way). */
export interface TraceSources {
  clusterList(): Promise<ClusterBroker[]>;
  listTopics(): Promise<string[]>;
  listGroups(): Promise<GroupSummary[]>;
  groupProgress(
    group: string,
    topic?: string,
  ): Promise<{ queues: { brokerName: string; queueId: number; consumerOffset: number }[] }>;
  messageById(msgId: string): Promise<ReceivedMessage | undefined>;
  messagesByKey(topic: string, key: string): Promise<ReceivedMessage[]>;
}

/** Undefined when no broker has the message. */
export async function traceMessage(
  admin: TraceSources,
  client: ClientInstance,
  msgId: string,
  topic?: string,
): Promise<MessageTrace | undefined> {
  const brokers = await brokerNamesByAddress(admin);
  const message = await findMessage(admin, msgId, topic);
  if (message === undefined) return undefined;
  const stored = placeOf(message, brokers);
  const uniqueId = message.msgId;
  const groups: GroupDelivery[] = [];
  const retries: RetryCopy[] = [];
  const deadLetters: RetryCopy[] = [];
  for (const { group } of await admin.listGroups()) {
    const progress = await admin.groupProgress(group, stored.topic);
    const queue = progress.queues.find((q) => q.brokerName === stored.brokerName && q.queueId === stored.queueId);
    if (queue === undefined) continue;
    const consumerOffset = queue.consumerOffset;
    groups.push({ group, consumerOffset, consumed: consumerOffset > stored.queueOffset });
    for (const copy of await copiesIn(client, brokers, RETRY_TOPIC_PREFIX + group, uniqueId))
      retries.push({ group, ...copy });
    for (const copy of await copiesIn(client, brokers, DLQ_TOPIC_PREFIX + group, uniqueId))
      deadLetters.push({ group, ...copy });
  }
  return { msgId: uniqueId, stored, groups, retries, deadLetters };
}

async function findMessage(admin: TraceSources, msgId: string, topic?: string): Promise<ReceivedMessage | undefined> {
  if (topic === undefined && OffsetMessageId.decode(msgId) !== undefined) {
    const found = await admin.messageById(msgId);
    if (found !== undefined) return found;
  }
  const topics = topic !== undefined ? [topic] : (await admin.listTopics()).filter((name) => !name.startsWith('%'));
  for (const each of topics) {
    const found = await admin.messagesByKey(each, msgId).catch((error: unknown) => {
      if (error instanceof ClientError) return [];
      throw error;
    });
    const exact = found.find((m) => m.msgId === msgId || m.offsetMsgId === msgId);
    if (exact !== undefined) return exact;
  }
  return undefined;
}

async function copiesIn(
  client: ClientInstance,
  brokers: ReadonlyMap<string, string>,
  topic: string,
  uniqueId: string,
): Promise<(StoredPlace & { reconsumeTimes: number })[]> {
  const copies: (StoredPlace & { reconsumeTimes: number })[] = [];
  for (const address of brokers.keys()) {
    const response = await client.invoke(address, {
      code: REQUEST_CODE.QUERY_MESSAGE,
      extFields: { topic, key: uniqueId, maxNum: COPIES_MAX, beginTimestamp: 0, endTimestamp: Date.now() },
    });
    if (response.code !== RESPONSE_CODE.SUCCESS || response.body === undefined) continue;
    for (const copy of decodeMessages(response.body as Buffer)) {
      if (copy.msgId !== uniqueId) continue;
      copies.push({ ...placeOf(copy, brokers), reconsumeTimes: copy.reconsumeTimes });
    }
  }
  return copies.sort((a, b) => a.storeTimestamp - b.storeTimestamp);
}

function placeOf(message: ReceivedMessage, brokers: ReadonlyMap<string, string>): StoredPlace {
  return {
    topic: message.topic,
    brokerName: brokers.get(message.storeHost) ?? message.storeHost,
    queueId: message.queueId,
    queueOffset: message.queueOffset,
    storeTimestamp: message.storeTimestamp,
    offsetMsgId: message.offsetMsgId,
  };
}

/** Master address ('ip:port', as STOREHOST reads) to broker name. */
async function brokerNamesByAddress(admin: TraceSources): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const broker of await admin.clusterList())
    if (broker.role === 'MASTER') names.set(broker.address, broker.brokerName);
  return names;
}
