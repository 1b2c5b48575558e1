// `tributary group progress`: how far a consumer group is behind, per queue and in total
// (mqadmin consumerProgress, kafka-consumer-groups --describe).
import { cliCommand } from './cli-command.js';
import { groupResetOffsetCommand } from './group-reset-offset-command.js';
import { CliFailure } from '../cli-failure.js';
import { formatTable } from '../format-table.js';
import { NAMESRV_FLAG, nameServerAddress } from '../flags/name-server-address.js';
import { subcommandGroup } from '../subcommand-group.js';
import { topicArgument } from '../flags/topic-argument.js';
import { withAdmin } from '../with-admin.js';

const progress = cliCommand(
  'progress',
  {
    name: 'group progress',
    summary: "Shows a consumer group's broker offset, committed offset and lag per queue, and the total lag.",
    positionals: [{ name: 'group', description: 'consumer group' }],
    flags: {
      topic: { type: 'string', placeholder: 'topic', description: 'only this topic', defaultText: 'all of the group' },
      json: { type: 'boolean', description: 'print JSON' },
      namesrv: NAMESRV_FLAG,
    },
    examples: ['tributary group progress billing', 'tributary group progress billing --topic orders --json'],
  },
  async (line) => {
    const group = line.positionals[0]!;
    const topicFlag = line.string('topic');
    const topic = topicFlag === undefined ? undefined : topicArgument(line, topicFlag);
    const nameServer = nameServerAddress(line);
    const { queues, totalLag } = await withAdmin(nameServer, { nameServer }, (admin) =>
      admin.groupProgress(group, topic),
    );
    if (queues.length === 0) {
      const where = topic === undefined ? '' : ` on topic '${topic}'`;
      throw new CliFailure(`consumer group '${group}' has no committed offsets or live subscriptions${where}`);
    }
    if (line.boolean('json')) {
      console.log(JSON.stringify({ group, queues, totalLag }));
      return;
    }
    const rows = queues.map((queue) => [
      queue.topic,
      queue.brokerName,
      queue.queueId,
      queue.brokerOffset,
      queue.consumerOffset,
      queue.lag,
    ]);
    console.log(formatTable(['TOPIC', 'BROKER', 'QUEUE', 'BROKER OFFSET', 'CONSUMER OFFSET', 'LAG'], rows));
    console.log(`\nTotal lag: ${totalLag}`);
  },
);

const JSON_FLAG = { type: 'boolean', description: 'print JSON' } as const;
const GROUP_POSITIONAL = { name: 'group', description: 'consumer group' };

const list = cliCommand(
  'list',
  {
    name: 'group list',
    summary: 'Lists every consumer group the brokers know (configured, with offsets, or online).',
    flags: { json: JSON_FLAG, namesrv: NAMESRV_FLAG },
    examples: ['tributary group list --json'],
  },
  async (line) => {
    const nameServer = nameServerAddress(line);
    const groups = await withAdmin(nameServer, { nameServer }, (admin) => admin.listGroups());
    if (line.boolean('json')) {
      console.log(JSON.stringify({ groups }));
      return;
    }
    const rows = groups.map((entry) => [entry.group, entry.members, entry.brokersWithOffsets]);
    console.log(formatTable(['GROUP', 'MEMBERS', 'BROKERS WITH OFFSETS'], rows));
  },
);

const describe = cliCommand(
  'describe',
  {
    name: 'group describe',
    summary: "Shows a consumer group's live members (client ids, addresses) and subscriptions.",
    positionals: [GROUP_POSITIONAL],
    flags: { json: JSON_FLAG, namesrv: NAMESRV_FLAG },
    examples: ['tributary group describe billing'],
  },
  async (line) => {
    const group = line.positionals[0]!;
    const nameServer = nameServerAddress(line);
    const description = await withAdmin(nameServer, { nameServer }, (admin) => admin.describeGroup(group));
    if (line.boolean('json')) {
      console.log(JSON.stringify(description));
      return;
    }
    const model = description.online ? ` (${description.consumeType}, ${description.messageModel})` : ' (offline)';
    console.log(`Group ${group}${model}\n`);
    if (!description.online) {
      console.log('no live members (offsets: tributary group progress)');
      return;
    }
    const members = description.members.map((m) => [m.clientId, m.address, new Date(m.lastHeartbeat).toISOString()]);
    console.log(formatTable(['CLIENT ID', 'ADDRESS', 'LAST HEARTBEAT'], members));
    const subscriptions = description.subscriptions.map((s) => [s.topic, s.expressionType, s.subString]);
    console.log(`\n${formatTable(['TOPIC', 'TYPE', 'EXPRESSION'], subscriptions)}`);
  },
);

const remove = cliCommand(
  'delete',
  {
    name: 'group delete',
    summary: "Deletes a consumer group's config and committed offsets on every broker.",
    positionals: [GROUP_POSITIONAL],
    flags: {
      force: { type: 'boolean', description: 'delete even while the group has live members' },
      json: JSON_FLAG,
      namesrv: NAMESRV_FLAG,
    },
    examples: ['tributary group delete old-billing'],
  },
  async (line) => {
    const group = line.positionals[0]!;
    const nameServer = nameServerAddress(line);
    const force = line.boolean('force');
    await withAdmin(nameServer, { nameServer }, (admin) => admin.deleteGroup(group, { force }));
    if (line.boolean('json')) console.log(JSON.stringify({ group, deleted: true }));
    else console.log(`deleted consumer group ${group}`);
  },
);

export const groupCommand = subcommandGroup('group', 'Lists, inspects and deletes consumer groups.', [
  list,
  describe,
  progress,
  groupResetOffsetCommand,
  remove,
]);
