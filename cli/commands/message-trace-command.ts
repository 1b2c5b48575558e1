// `tributary message trace <msgId>`: where a message is: stored where, delivered to (and
// consumed by) which groups, its retries and dead letters. `tributary message` with flags
// looks messages up.
import { cliCommand } from './cli-command.js';
import { CliFailure } from '../cli-failure.js';
import { formatTable, type TableCell } from '../format-table.js';
import type { RetryCopy } from '../../client/index.js';
import { NAMESRV_FLAG, nameServerAddress } from '../flags/name-server-address.js';
import { topicArgument } from '../flags/topic-argument.js';
import { withAdmin } from '../with-admin.js';

export const messageTraceCommand = cliCommand(
  'trace',
  {
    name: 'message trace',
    summary: 'Shows where a message is: stored, consumed by which groups, retries and dead letters.',
    positionals: [{ name: 'msgId', description: "producer's message id or offset id" }],
    flags: {
      topic: { type: 'string', placeholder: 'topic', description: 'its topic (faster)', defaultText: 'every topic' },
      json: { type: 'boolean', description: 'print JSON' },
      namesrv: NAMESRV_FLAG,
    },
    examples: ['tributary message trace 7F0000011F9418B4AAC2A1B2C3D40000 --topic orders --json'],
  },
  async (line) => {
    const msgId = line.positionals[0]!;
    const topicFlag = line.string('topic');
    const topic = topicFlag === undefined ? undefined : topicArgument(line, topicFlag);
    const nameServer = nameServerAddress(line);
    const trace = await withAdmin(nameServer, { nameServer, ...(topic === undefined ? {} : { topic }) }, (admin) =>
      admin.traceMessage(msgId, topic),
    );
    if (trace === undefined) throw new CliFailure(`no broker has message ${msgId}`);
    if (line.boolean('json')) {
      console.log(JSON.stringify(trace));
      return;
    }
    const { stored } = trace;
    console.log(
      `Message ${trace.msgId}: ${stored.topic} on ${stored.brokerName} queue ${stored.queueId} offset ` +
        `${stored.queueOffset}, stored ${new Date(stored.storeTimestamp).toISOString()}\n`,
    );
    const groups = trace.groups.map((g) => [g.group, g.consumerOffset, g.consumed ? 'consumed' : 'not yet']);
    console.log(formatTable(['GROUP', 'COMMITTED OFFSET', 'STATE'], groups));
    const row = (kind: string, copy: RetryCopy): TableCell[] => [
      kind,
      copy.group,
      copy.topic,
      copy.reconsumeTimes,
      new Date(copy.storeTimestamp).toISOString(),
    ];
    const rows = [
      ...trace.retries.map((copy) => row('retry', copy)),
      ...trace.deadLetters.map((copy) => row('dead letter', copy)),
    ];
    if (rows.length > 0) console.log(`\n${formatTable(['KIND', 'GROUP', 'TOPIC', 'RECONSUME', 'STORED'], rows)}`);
  },
);
