// `tributary group reset-offset`: moves a consumer group's committed offsets to a time, either
// end, or an offset (mqadmin resetOffsetByTime, kafka-consumer-groups --reset-offsets). Live
// members restart there at once. Asks for confirmation on stdin unless --yes.
import readline from 'node:readline';

import type { ResetTarget } from '../../client/index.js';
import { cliCommand } from './cli-command.js';
import { CliFailure } from '../cli-failure.js';
import type { CommandLine } from '../command-line.js';
import { formatTable } from '../format-table.js';
import { NAMESRV_FLAG, nameServerAddress } from '../flags/name-server-address.js';
import { topicArgument } from '../flags/topic-argument.js';
import { withAdmin } from '../with-admin.js';

const TARGET_FLAGS = ['to-time', 'to-earliest', 'to-latest', 'to-offset'] as const;

export const groupResetOffsetCommand = cliCommand(
  'reset-offset',
  {
    name: 'group reset-offset',
    summary: "Moves a group's committed offsets (to a time, either end, or an offset); live members restart there.",
    positionals: [{ name: 'group', description: 'consumer group' }],
    flags: {
      'to-time': { type: 'string', placeholder: 'time', description: 'ISO 8601 time or ms since the epoch' },
      'to-earliest': { type: 'boolean', description: 'the oldest message kept' },
      'to-latest': { type: 'boolean', description: 'past the newest message (skip everything)' },
      'to-offset': { type: 'integer', min: 0, description: 'this queue offset on every queue (clamped)' },
      topic: { type: 'string', placeholder: 'topic', description: 'only this topic', defaultText: 'all of the group' },
      yes: { type: 'boolean', description: 'do not ask for confirmation' },
      json: { type: 'boolean', description: 'print JSON' },
      namesrv: NAMESRV_FLAG,
    },
    examples: [
      'tributary group reset-offset billing --to-time 2026-12-01T00:00:00Z --topic orders',
      'tributary group reset-offset billing --to-earliest --yes --json',
    ],
  },
  async (line) => {
    const group = line.positionals[0]!;
    const target = resetTarget(line);
    const topicFlag = line.string('topic');
    const topic = topicFlag === undefined ? undefined : topicArgument(line, topicFlag);
    const where = topic === undefined ? 'every topic it consumes' : `topic ${topic}`;
    if (!line.boolean('yes') && !(await confirmed(`Reset consumer group ${group} on ${where}? [y/N] `)))
      throw new CliFailure('not confirmed; nothing changed');
    const nameServer = nameServerAddress(line);
    const result = await withAdmin(nameServer, { nameServer, ...(topic === undefined ? {} : { topic }) }, (admin) =>
      admin.resetOffset(group, target, topic),
    );
    if (line.boolean('json')) {
      console.log(JSON.stringify({ group, ...result }));
      return;
    }
    const rows = result.offsets.map((entry) => [entry.topic, entry.brokerName, entry.queueId, entry.offset]);
    console.log(formatTable(['TOPIC', 'BROKER', 'QUEUE', 'NEW OFFSET'], rows));
    console.log(`\n${result.notifiedClients} live member(s) restarted at the new offsets`);
  },
);

function resetTarget(line: CommandLine): ResetTarget {
  const given = TARGET_FLAGS.filter((name) => line.has(name));
  if (given.length !== 1) throw line.usageError(`give exactly one of ${TARGET_FLAGS.map((f) => `--${f}`).join(', ')}`);
  if (line.boolean('to-earliest')) return { position: 'earliest' };
  if (line.boolean('to-latest')) return { position: 'latest' };
  const offset = line.integer('to-offset');
  if (offset !== undefined) return { offset };
  const text = line.string('to-time')!;
  const timestamp = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    throw line.usageError(`--to-time must be an ISO 8601 time or ms since the epoch (got '${text}')`);
  return { timestamp };
}

/** One line from stdin: y or yes (any case) confirms; anything else, or end of input, does not. */
async function confirmed(question: string): Promise<boolean> {
  process.stderr.write(question);
  const input = readline.createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const answer of input) return /^y(es)?$/i.test(answer.trim());
    return false;
  } finally {
    input.close();
  }
}
