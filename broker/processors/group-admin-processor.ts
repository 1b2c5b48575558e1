// Consumer groups as a whole: every group the broker knows (configured, with committed
// offsets, or online) and deleting one (its config and its offsets).
import type { ExtFieldReader } from '../../protocol/ext-field-reader.js';
import { responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import type { BrokerContext } from '../broker-context.js';
import { groupName } from './heartbeat-body.js';

export class GroupAdminProcessor {
  constructor(private readonly context: BrokerContext) {}

  /**
   * GET_ALL_SUBSCRIPTIONGROUP_CONFIG: RocketMQ's subscriptionGroupTable (configured groups),
   * plus `groups`: every group name known here with whether it is online and has offsets.
   */
  allGroups(request: RemotingCommand): RemotingCommand {
    const { groups, offsets, consumers } = this.context;
    const configured = [...groups.all()];
    const withOffsets = new Set(offsets.allGroups());
    const online = new Map([...consumers.all()].map((group) => [group.group, group.clients.size]));
    const names = new Set([...configured.map((config) => config.groupName), ...withOffsets, ...online.keys()]);
    const body = {
      subscriptionGroupTable: Object.fromEntries(configured.map((config) => [config.groupName, config])),
      groups: [...names].sort().map((name) => ({
        group: name,
        members: online.get(name) ?? 0,
        hasOffsets: withOffsets.has(name),
      })),
    };
    return responseTo(request, RESPONSE_CODE.SUCCESS, undefined, undefined, Buffer.from(JSON.stringify(body)));
  }

  /**
   * DELETE_SUBSCRIPTIONGROUP: removes the group's config and its committed offsets. Refused
   * while the group has live members (they would recreate it at once) unless `force`.
   */
  async deleteGroup(request: RemotingCommand, fields: ExtFieldReader): Promise<RemotingCommand> {
    const group = groupName(fields.string('groupName'));
    const members = this.context.consumers.get(group)?.clients.size ?? 0;
    if (members > 0 && !fields.boolean('force', false)) {
      return responseTo(
        request,
        RESPONSE_CODE.SYSTEM_ERROR,
        `consumer group ${group} has ${members} live member(s); delete with force`,
      );
    }
    await this.context.groups.delete(group);
    await this.context.offsets.deleteGroup(group);
    return responseTo(request, RESPONSE_CODE.SUCCESS);
  }
}
