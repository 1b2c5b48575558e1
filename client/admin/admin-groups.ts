// Admin work on consumer groups as a whole: list, describe (members and subscriptions) and
// delete (config and offsets), across every broker master the name servers know.
import { ClientError } from '../client-error.js';
import type { ClientInstance } from '../client-instance.js';
import { expectSuccess } from '../expect-success.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';

/** A consumer group a broker knows (Admin.listGroups): configured, with committed offsets, or online. */
export interface GroupSummary {
  readonly group: string;
  /** Live members, summed over brokers (a client heartbeats every broker it uses). */
  readonly members: number;
  /** Brokers holding committed offsets of the group. */
  readonly brokersWithOffsets: number;
}

/** A live member of a consumer group: its client id, address and last heartbeat. */
export interface GroupMember {
  readonly clientId: string;
  readonly address: string;
  readonly lastHeartbeat: number;
}

/** A consumer group's live members, consume type, message model and subscriptions (Admin.describeGroup). */
export interface GroupDescription {
  readonly group: string;
  readonly online: boolean;
  readonly messageModel?: string;
  readonly consumeType?: string;
  readonly members: GroupMember[];
  readonly subscriptions: { topic: string; subString: string; expressionType: string }[];
}

export async function listGroups(client: ClientInstance, brokers: readonly string[]): Promise<GroupSummary[]> {
  const merged = new Map<string, { members: number; brokersWithOffsets: number }>();
  for (const address of brokers) {
    const response = await client.invoke(address, {
      code: REQUEST_CODE.GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
      extFields: {},
    });
    const body = JSON.parse(expectSuccess(response, 'group list').toString('utf8')) as {
      groups: { group: string; members: number; hasOffsets: boolean }[];
    };
    for (const entry of body.groups) {
      const known = merged.get(entry.group) ?? { members: 0, brokersWithOffsets: 0 };
      known.members = Math.max(known.members, entry.members);
      if (entry.hasOffsets) known.brokersWithOffsets++;
      merged.set(entry.group, known);
    }
  }
  return [...merged].sort(([a], [b]) => a.localeCompare(b)).map(([group, entry]) => ({ group, ...entry }));
}

export async function describeGroup(
  client: ClientInstance,
  brokers: readonly string[],
  group: string,
): Promise<GroupDescription> {
  const members = new Map<string, GroupMember>();
  const subscriptions = new Map<string, GroupDescription['subscriptions'][number]>();
  let model: { messageModel: string; consumeType: string } | undefined;
  for (const address of brokers) {
    const response = await client.invoke(address, {
      code: REQUEST_CODE.GET_CONSUMER_CONNECTION_LIST,
      extFields: { consumerGroup: group },
    });
    if (response.code === RESPONSE_CODE.CONSUMER_NOT_ONLINE) continue;
    const data = JSON.parse(expectSuccess(response, `members of ${group}`).toString('utf8')) as {
      messageModel: string;
      consumeType: string;
      subscriptions: GroupDescription['subscriptions'];
      clients: GroupMember[];
    };
    model ??= { messageModel: data.messageModel, consumeType: data.consumeType };
    for (const member of data.clients) members.set(member.clientId, member);
    for (const subscription of data.subscriptions) {
      const { topic, subString, expressionType } = subscription;
      subscriptions.set(topic, { topic, subString, expressionType });
    }
  }
  return {
    group,
    online: members.size > 0,
    ...model,
    members: [...members.values()].sort((a, b) => a.clientId.localeCompare(b.clientId)),
    subscriptions: [...subscriptions.values()].sort((a, b) => a.topic.localeCompare(b.topic)),
  };
}

/**
 * Deletes the group's config and committed offsets on every broker. Refused with
 * GROUP_HAS_MEMBERS while members are online (each broker checks too) unless `force`.
 */
export async function deleteGroup(
  client: ClientInstance,
  brokers: readonly string[],
  group: string,
  force: boolean,
): Promise<void> {
  if (!force) {
    const { members } = await describeGroup(client, brokers, group);
    if (members.length > 0) {
      throw new ClientError('GROUP_HAS_MEMBERS', `${group}: ${members.map((m) => m.clientId).join(', ')}`);
    }
  }
  for (const address of brokers) {
    const response = await client.invoke(address, {
      code: REQUEST_CODE.DELETE_SUBSCRIPTIONGROUP,
      extFields: { groupName: group, force },
    });
    if (response.code !== RESPONSE_CODE.SUCCESS && response.remark?.includes('live member') === true)
      throw new ClientError('GROUP_HAS_MEMBERS', `${group}: ${response.remark}`, { responseCode: response.code });
    expectSuccess(response, `delete group ${group} on ${address}`);
  }
}
