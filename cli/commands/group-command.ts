// `tributary group progress`: how far a consumer group is behind, per queue and in total
// (mqadmin consumerProgress, kafka-consumer-groups --describe).
import { cliCommand } from './cli-command.js';
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

export const groupCommand = subcommandGroup('group', 'Inspects consumer groups.', [progress]);
