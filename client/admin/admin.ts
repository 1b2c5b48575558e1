// Admin: topics, consumer progress and message lookup, over the same protocol as the other
// clients. Cluster-wide operations go to every broker the name servers know.
import { replicationStatus, type ReplicationStatus } from './admin-replication.js';
import { ClientError } from '../client-error.js';
import { ClientInstance } from '../client-instance.js';
import type { ClientOptions } from '../client-options.js';
import { decodeMessages, type ReceivedMessage } from '../../protocol/message-decoder.js';
import { masterAddress, readableQueues } from '../topic-route.js';
import { formatHostAddress } from '../../protocol/host-address.js';
import { OffsetMessageId } from '../../protocol/offset-message-id.js';
import { PERMISSION } from '../../protocol/header-fields.js';
import { PROPERTY } from '../../protocol/message-properties-codec.js';
import type { RemotingCommand } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { brokerStatus, listCluster, type BrokerStatus, type ClusterBroker } from './admin-cluster.js';
import { deleteGroup, describeGroup, listGroups, type GroupDescription, type GroupSummary } from './admin-groups.js';
import { expectSuccess } from '../expect-success.js';
import {
  deadLettersOf,
  resendDeadLetter,
  type DeadLetter,
  type DeadLetterQuery,
  type ResentDeadLetter,
} from './admin-dead-letters.js';
import { traceMessage, type MessageTrace } from './admin-message-trace.js';
import { resetTopicOffsets, type ResetResult, type ResetTarget } from './admin-reset-offset.js';
import { TOPIC_QUEUE_COUNT_DEFAULT } from '../client-constants.js';
import { deleteQuota, listQuotas, setQuota, type QuotaScope, type QuotaSpec } from './admin-quotas.js';

/**
 * One queue of a topic as topicStatus reports it: where it is, its min and max offsets, and when it
 * was last written.
 */
export interface TopicQueueStatus {
  brokerName: string;
  queueId: number;
  minOffset: number;
  maxOffset: number;
  lastUpdateTimestamp: number;
}

/**
 * One queue of a group's progress: the broker's max offset, the group's committed offset, and the
 * lag between them.
 */
export interface GroupQueueProgress {
  topic: string;
  brokerName: string;
  queueId: number;
  brokerOffset: number;
  consumerOffset: number;
  lag: number;
}

/** Options of Admin.createTopic. */
export interface CreateTopicOptions {
  queues?: number;
  perm?: number;
  order?: boolean;
}

/**
 * Administration of topics, groups, offsets, dead letters and brokers, over the name servers and
 * every broker they know. The `tributary` commands are built on it (`--json` prints what its
 * methods return). Methods reject with ClientError (BROKER_ERROR with the broker's responseCode
 * when a broker refuses, NO_ROUTE when no broker is registered). Call close() when done.
 */
export class Admin {
  private readonly client: ClientInstance;

  constructor(options: ClientOptions) {
    this.client = new ClientInstance(options, {
      heartbeat: () => ({ producerDataSet: [], consumerDataSet: [] }),
    });
  }

  /** Creates or updates a topic on every broker. */
  async createTopic(topic: string, options: CreateTopicOptions = {}): Promise<void> {
    const queues = options.queues ?? TOPIC_QUEUE_COUNT_DEFAULT;
    const extFields = {
      topic,
      readQueueNums: queues,
      writeQueueNums: queues,
      perm: options.perm ?? PERMISSION.readWrite,
      order: options.order ?? false,
    };
    const brokers = await this.brokerAddresses();
    if (brokers.length === 0) throw new ClientError('NO_ROUTE', 'no broker is registered with the name servers');
    for (const address of brokers) {
      expectSuccess(
        await this.client.invoke(address, { code: REQUEST_CODE.UPDATE_AND_CREATE_TOPIC, extFields }),
        `create ${topic} on ${address}`,
      );
    }
  }

  /**
   * Deletes a topic on every broker (its config and consume queue files) and its name server route.
   * Records stay in the commit log until retention; committed offsets are kept.
   */
  async deleteTopic(topic: string): Promise<void> {
    for (const address of await this.brokerAddresses()) {
      expectSuccess(
        await this.client.invoke(address, { code: REQUEST_CODE.DELETE_TOPIC_IN_BROKER, extFields: { topic } }),
        `delete ${topic}`,
      );
    }
    // The brokers' next registrations drop the route too; this makes it go at once.
    await this.askNameServer(REQUEST_CODE.DELETE_TOPIC_IN_NAMESRV, { topic });
  }

  /** Every topic the name servers know, system topics included. */
  async listTopics(): Promise<string[]> {
    const body = await this.askNameServer(REQUEST_CODE.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, {});
    return ((JSON.parse(body.toString('utf8')) as { topicList: string[] }).topicList ?? []).sort();
  }

  /** Min and max offsets of every queue of a topic, on every broker serving it. */
  async topicStatus(topic: string): Promise<TopicQueueStatus[]> {
    const route = await this.client.route(topic, true);
    const status: TopicQueueStatus[] = [];
    for (const broker of route.brokerDatas) {
      const address = masterAddress(route, broker.brokerName);
      if (address === undefined) continue;
      const response = await this.client.invoke(address, {
        code: REQUEST_CODE.GET_TOPIC_STATS_INFO,
        extFields: { topic },
      });
      const stats = JSON.parse(expectSuccess(response, `status of ${topic}`).toString('utf8')) as {
        queues: Omit<TopicQueueStatus, 'brokerName'>[];
      };
      for (const queue of stats.queues) status.push({ brokerName: broker.brokerName, ...queue });
    }
    return status;
  }

  /** Per-queue broker offset, committed consumer offset and lag of a group (one topic or all). */
  async groupProgress(group: string, topic?: string): Promise<{ queues: GroupQueueProgress[]; totalLag: number }> {
    const queues: GroupQueueProgress[] = [];
    for (const address of await this.brokerAddresses()) {
      const response = await this.client.invoke(address, {
        code: REQUEST_CODE.GET_CONSUME_STATS,
        extFields: { consumerGroup: group, topic: topic ?? '' },
      });
      const stats = JSON.parse(expectSuccess(response, `progress of ${group}`).toString('utf8')) as {
        queues: GroupQueueProgress[];
      };
      queues.push(...stats.queues);
    }
    queues.sort(
      (a, b) => a.topic.localeCompare(b.topic) || a.brokerName.localeCompare(b.brokerName) || a.queueId - b.queueId,
    );
    return { queues, totalLag: queues.reduce((sum, queue) => sum + queue.lag, 0) };
  }

  /** True when `group` has a committed offset for any queue of `topic`; NO_ROUTE for an unknown topic. */
  async hasCommittedOffsets(group: string, topic: string): Promise<boolean> {
    // Not QUERY_CONSUMER_OFFSET: by RocketMQ's rule it answers 0 for a young queue whether or
    // not the group committed there. GET_CONSUME_STATS says which queues hold a commit.
    const route = await this.client.route(topic, true);
    const brokers = new Set(readableQueues(topic, route).map((queue) => masterAddress(route, queue.brokerName)));
    for (const address of brokers) {
      if (address === undefined) continue;
      const response = await this.client.invoke(address, {
        code: REQUEST_CODE.GET_CONSUME_STATS,
        extFields: { consumerGroup: group, topic },
      });
      const body = JSON.parse(expectSuccess(response, `offsets of ${group} in ${topic}`).toString('utf8')) as {
        queues?: { committed?: boolean }[];
      };
      if ((body.queues ?? []).some((queue) => queue.committed === true)) return true;
    }
    return false;
  }

  /**
   * A message by id: an offset id (store host + offset) is looked up directly; a producer's
   * id (UNIQ_KEY) needs the topic, whose brokers are asked through their key index.
   */
  async messageById(msgId: string, topic?: string): Promise<ReceivedMessage | undefined> {
    if (topic !== undefined) {
      const found = await this.messagesByKey(topic, msgId, 1);
      if (found.length > 0) return found[0];
    }
    const located = OffsetMessageId.decode(msgId);
    if (located === undefined) return undefined;
    const address = formatHostAddress(located.storeHost);
    const offset = located.commitLogOffset;
    const response = await this.client
      .invoke(address, { code: REQUEST_CODE.VIEW_MESSAGE_BY_ID, extFields: { offset } })
      .catch(() => undefined);
    if (response?.code !== RESPONSE_CODE.SUCCESS || response.body === undefined) return undefined;
    return decodeMessages(response.body as Buffer)[0];
  }

  /** Messages of a topic with a key (or unique key), from every broker serving the topic. */
  async messagesByKey(topic: string, key: string, maxCount = 32): Promise<ReceivedMessage[]> {
    const route = await this.client.route(topic, true);
    const found: ReceivedMessage[] = [];
    for (const broker of route.brokerDatas) {
      const address = masterAddress(route, broker.brokerName);
      if (address === undefined) continue;
      const response = await this.client.invoke(address, {
        code: REQUEST_CODE.QUERY_MESSAGE,
        extFields: { topic, key, maxNum: maxCount, beginTimestamp: 0, endTimestamp: Date.now() },
      });
      if (response.code === RESPONSE_CODE.QUERY_NOT_FOUND) continue;
      found.push(...decodeMessages(expectSuccess(response, `query ${topic} by key`)));
    }
    return found.slice(0, maxCount);
  }

  /** Live members of a consumer group as a broker sees them. */
  async consumerConnections(group: string): Promise<{ clientId: string; address: string }[]> {
    const clients = new Map<string, { clientId: string; address: string }>();
    for (const address of await this.brokerAddresses()) {
      const response = await this.client.invoke(address, {
        code: REQUEST_CODE.GET_CONSUMER_CONNECTION_LIST,
        extFields: { consumerGroup: group },
      });
      if (response.code === RESPONSE_CODE.CONSUMER_NOT_ONLINE) continue;
      const data = JSON.parse(expectSuccess(response, `connections of ${group}`).toString('utf8')) as {
        clients: { clientId: string; address: string }[];
      };
      for (const client of data.clients)
        clients.set(client.clientId, { clientId: client.clientId, address: client.address });
    }
    return [...clients.values()];
  }

  /**
   * Dead letters of a consumer group, oldest first per broker (by broker name, then queue
   * offset). `offset` applies to each broker's DLQ queue; with one broker, page on with
   * offset = last queueOffset + 1.
   */
  async dlqMessages(group: string, query: DeadLetterQuery = {}): Promise<DeadLetter[]> {
    return deadLettersOf(this.client, await this.brokerAddresses(), group, query);
  }

  /**
   * Stores a dead letter (by producer msgId, or offset id) again in the group's %RETRY% topic,
   * undelayed and with reconsumeTimes 0, so the group consumes it again under its original
   * topic. The dead letter stays in the DLQ. Undefined when no broker has it.
   */
  async resendDeadLetter(group: string, msgId: string): Promise<ResentDeadLetter | undefined> {
    return resendDeadLetter(this.client, await this.brokerAddresses(), group, msgId);
  }

  /** Every broker (masters and slaves) with its role, address, version and put rate. */
  async clusterList(): Promise<ClusterBroker[]> {
    return listCluster(this.client);
  }

  /** A broker's runtime info, store figures and limits; every master when no address is given. */
  async brokerStatus(address?: string): Promise<BrokerStatus[]> {
    const addresses = address === undefined ? await this.brokerAddresses() : [address];
    return Promise.all(addresses.map((each) => brokerStatus(this.client, each)));
  }

  /** A broker's replication status: log end, replicas' acknowledged offsets, its master, cuts. */
  replicationStatus(address: string): Promise<ReplicationStatus> {
    return replicationStatus(this.client, address);
  }

  /** Every consumer group a broker knows: configured, with committed offsets, or online. */
  async listGroups(): Promise<GroupSummary[]> {
    return listGroups(this.client, await this.brokerAddresses());
  }

  /** A group's live members (client ids, addresses) and subscriptions. */
  async describeGroup(group: string): Promise<GroupDescription> {
    return describeGroup(this.client, await this.brokerAddresses(), group);
  }

  /** Removes a group's config and offsets; refused (GROUP_HAS_MEMBERS) while it has live members unless `force`. */
  async deleteGroup(group: string, options: { force?: boolean } = {}): Promise<void> {
    await deleteGroup(this.client, await this.brokerAddresses(), group, options.force ?? false);
  }

  /**
   * Moves the group's committed offsets on `topic` (every topic the group has offsets or
   * subscriptions on, retry topics aside, when absent) and restarts live members there at once.
   */
  async resetOffset(group: string, target: ResetTarget, topic?: string): Promise<ResetResult> {
    const topics =
      topic !== undefined
        ? [topic]
        : [...new Set((await this.groupProgress(group)).queues.map((queue) => queue.topic))].filter(
            (name) => !name.startsWith('%'),
          );
    const offsets: ResetResult['offsets'] = [];
    let notifiedClients = 0;
    for (const each of topics) {
      const reset = await resetTopicOffsets(this.client, group, each, target);
      offsets.push(...reset.offsets);
      notifiedClients += reset.notifiedClients;
    }
    return { offsets, notifiedClients };
  }

  /**
   * Where a message is (by producer id, or offset id): stored where, consumed by which groups,
   * retried and dead-lettered copies. Undefined when no broker has it.
   */
  async traceMessage(msgId: string, topic?: string): Promise<MessageTrace | undefined> {
    return traceMessage(this, this.client, msgId, topic);
  }

  /** Every broker master the name servers know. */
  /** Sets (or changes) a rate limit quota on every broker; it takes effect at once. */
  async setQuota(quota: QuotaSpec): Promise<void> {
    await setQuota(this.client, await this.brokerAddresses(), quota);
  }

  /** Deletes a quota on every broker; true when some broker had it. */
  async deleteQuota(scope: QuotaScope, name: string): Promise<boolean> {
    return deleteQuota(this.client, await this.brokerAddresses(), scope, name);
  }

  /** Every broker's quotas. */
  async quotas(): Promise<{ broker: string; quotas: QuotaSpec[] }[]> {
    return listQuotas(this.client, await this.brokerAddresses());
  }

  /**
   * The master address of every broker the name servers know, whether or not it serves a route:
   * the brokers a cluster-wide command (quotas, topic creation) goes to.
   */
  async brokerAddresses(): Promise<string[]> {
    return this.client.clusterBrokerAddresses();
  }

  /** Closes the connections; the Admin cannot be used afterwards. */
  async close(): Promise<void> {
    await this.client.close();
  }

  private async askNameServer(code: number, extFields: Record<string, string>): Promise<Buffer> {
    return this.client.askNameServers(code, extFields);
  }
}
