// `tributary topic create|list|status`: topics as the brokers and name servers see them.
import { Admin } from '../../client/index.js';
import { cliCommand } from './cli-command.js';
import { TOPIC_QUEUE_COUNT_DEFAULT, TOPIC_ROUTE_POLL_INTERVAL_MS, TOPIC_ROUTE_WAIT_MS } from '../cli-constants.js';
import { formatTable } from '../format-table.js';
import { NAMESRV_FLAG, nameServerAddress } from '../flags/name-server-address.js';
import { subcommandGroup } from '../subcommand-group.js';
import { topicArgument } from '../flags/topic-argument.js';
import { withAdmin } from '../with-admin.js';

const JSON_FLAG = { type: 'boolean', description: 'print JSON' } as const;
const TOPIC_POSITIONAL = { name: 'topic', description: 'topic name' };

const create = cliCommand(
  'create',
  {
    name: 'topic create',
    summary: 'Creates a topic on every broker (or changes its queue count), and waits until it is routable.',
    positionals: [TOPIC_POSITIONAL],
    flags: {
      queues: {
        type: 'integer',
        min: 1,
        description: 'queues per broker',
        defaultText: String(TOPIC_QUEUE_COUNT_DEFAULT),
      },
      namesrv: NAMESRV_FLAG,
    },
    examples: ['tributary topic create orders --queues 4'],
  },
  async (line) => {
    const topic = topicArgument(line, line.positionals[0]!);
    const queues = line.integer('queues', TOPIC_QUEUE_COUNT_DEFAULT);
    const nameServer = nameServerAddress(line);
    // No topic in the subject: a missing route here means no broker, not a missing topic.
    await withAdmin(nameServer, { nameServer }, async (admin) => {
      await admin.createTopic(topic, { queues });
      if (!(await becomesRoutable(admin, topic))) {
        console.error(`tributary: topic '${topic}' created, but the name server does not route it yet`);
      }
    });
    console.log(`created topic ${topic} (${queues} queues per broker)`);
  },
);

const list = cliCommand(
  'list',
  {
    name: 'topic list',
    summary: 'Lists the topics the name servers know, one per line.',
    flags: { json: JSON_FLAG, namesrv: NAMESRV_FLAG },
    examples: ['tributary topic list'],
  },
  async (line) => {
    const nameServer = nameServerAddress(line);
    const topics = await withAdmin(nameServer, { nameServer }, (admin) => admin.listTopics());
    if (line.boolean('json')) console.log(JSON.stringify({ topics }));
    else for (const topic of topics) console.log(topic);
  },
);

const status = cliCommand(
  'status',
  {
    name: 'topic status',
    summary: 'Shows each queue of a topic: broker, queue id, min and max offset, last message time.',
    positionals: [TOPIC_POSITIONAL],
    flags: { json: JSON_FLAG, namesrv: NAMESRV_FLAG },
    examples: ['tributary topic status orders'],
  },
  async (line) => {
    const topic = topicArgument(line, line.positionals[0]!);
    const nameServer = nameServerAddress(line);
    const queues = await withAdmin(nameServer, { topic, nameServer }, (admin) => admin.topicStatus(topic));
    if (line.boolean('json')) {
      console.log(JSON.stringify({ topic, queues }));
      return;
    }
    const rows = queues.map((queue) => [
      queue.brokerName,
      queue.queueId,
      queue.minOffset,
      queue.maxOffset,
      queue.lastUpdateTimestamp === 0 ? '-' : new Date(queue.lastUpdateTimestamp).toISOString(),
    ]);
    console.log(formatTable(['BROKER', 'QUEUE', 'MIN OFFSET', 'MAX OFFSET', 'LAST UPDATED'], rows));
  },
);

const remove = cliCommand(
  'delete',
  {
    name: 'topic delete',
    summary: 'Deletes a topic on every broker (its config and queue files) and its name server route.',
    positionals: [TOPIC_POSITIONAL],
    flags: { json: JSON_FLAG, namesrv: NAMESRV_FLAG },
    examples: ['tributary topic delete old-orders'],
  },
  async (line) => {
    const topic = topicArgument(line, line.positionals[0]!);
    const nameServer = nameServerAddress(line);
    await withAdmin(nameServer, { topic, nameServer }, (admin) => admin.deleteTopic(topic));
    if (line.boolean('json')) console.log(JSON.stringify({ topic, deleted: true }));
    else console.log(`deleted topic ${topic}`);
  },
);

export const topicCommand = subcommandGroup('topic', 'Creates, lists, inspects and deletes topics.', [
  create,
  list,
  status,
  remove,
]);

/** A new topic reaches the name server with the broker's next registration, moments later. */
async function becomesRoutable(admin: Admin, topic: string): Promise<boolean> {
  const deadline = Date.now() + TOPIC_ROUTE_WAIT_MS;
  for (;;) {
    if ((await admin.listTopics()).includes(topic)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, TOPIC_ROUTE_POLL_INTERVAL_MS));
  }
}
