// `tributary produce`: sends --body (--count times) or one message per line of stdin, and
// prints where each landed. Sends are pipelined (a bounded number in flight) and reported in
// input order; after a failure the sends already in flight are still reported, then the
// command fails.
import readline from 'node:readline';

import { Producer, type SendResult } from '../../client/index.js';
import { cliCommand } from './cli-command.js';
import { PRODUCE_IN_FLIGHT_MESSAGES_MAX, PRODUCER_GROUP_DEFAULT } from '../cli-constants.js';
import { cliFailure } from '../cli-failure.js';
import { clientSecurityFromEnvironment } from '../flags/client-security.js';
import { NAMESRV_FLAG, nameServerAddress } from '../flags/name-server-address.js';
import { topicArgument } from '../flags/topic-argument.js';

export const produceCommand = cliCommand(
  'produce',
  {
    name: 'produce',
    summary: 'Sends messages to a topic: --body (--count times), or each line of stdin (blank lines skipped).',
    flags: {
      topic: { type: 'string', required: true, placeholder: 'topic', description: 'topic to send to' },
      body: { type: 'string', description: 'message body; without it, stdin is read' },
      count: { type: 'integer', min: 1, description: 'send --body this many times', defaultText: '1' },
      tags: { type: 'string', placeholder: 'tag', description: 'tag of every message' },
      keys: { type: 'string', placeholder: 'a,b', description: 'keys of every message, indexed for `message --key`' },
      group: {
        type: 'string',
        placeholder: 'group',
        description: 'producer group',
        defaultText: PRODUCER_GROUP_DEFAULT,
      },
      json: { type: 'boolean', description: 'print one JSON object per message' },
      namesrv: NAMESRV_FLAG,
    },
    examples: [
      "tributary produce --topic orders --body 'hello' --tags paid --keys o-17",
      'seq 1 100 | tributary produce --topic orders',
    ],
  },
  async (line) => {
    const topic = topicArgument(line, line.string('topic')!);
    const nameServer = nameServerAddress(line);
    const body = line.string('body');
    const count = line.integer('count');
    if (count !== undefined && body === undefined) throw line.usageError('--count repeats --body; give --body too');
    const keys = (line.string('keys') ?? '')
      .split(',')
      .map((key) => key.trim())
      .filter((key) => key !== '');
    const tags = line.string('tags');
    const template = { topic, ...(tags === undefined ? {} : { tags }), ...(keys.length === 0 ? {} : { keys }) };
    const json = line.boolean('json');
    const print = (result: SendResult): void => {
      console.log(json ? JSON.stringify({ topic, ...result }) : resultLine(result));
    };
    const producer = new Producer({
      nameServer,
      group: line.string('group', PRODUCER_GROUP_DEFAULT),
      ...clientSecurityFromEnvironment(),
    });
    await producer.start();
    try {
      const bodies = body === undefined ? stdinLines() : Array.from({ length: count ?? 1 }, () => body);
      await sendInOrder(bodies, (text) => producer.send({ ...template, body: text }), print);
    } catch (error) {
      throw cliFailure(error, { topic, nameServer });
    } finally {
      await producer.shutdown();
    }
  },
);

function resultLine(result: SendResult): string {
  return `msgId=${result.msgId} queue=${result.brokerName}:${result.queueId} offset=${result.queueOffset}`;
}

async function* stdinLines(): AsyncGenerator<string> {
  if (process.stdin.isTTY) console.error('tributary: reading messages from stdin, one per line; Ctrl-D ends');
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  try {
    for await (const text of lines) if (text !== '') yield text;
  } finally {
    lines.close();
  }
}

async function sendInOrder(
  bodies: AsyncIterable<string> | Iterable<string>,
  send: (body: string) => Promise<SendResult>,
  print: (result: SendResult) => void,
): Promise<void> {
  const inFlight: Promise<SendResult>[] = [];
  let failure: unknown;
  const settleOldest = async (): Promise<void> => {
    try {
      print(await inFlight.shift()!);
    } catch (error) {
      failure ??= error;
    }
  };
  for await (const body of bodies) {
    const sending = send(body);
    // Awaited in order below; until then a rejection must not count as unhandled.
    sending.catch(() => undefined);
    inFlight.push(sending);
    if (inFlight.length >= PRODUCE_IN_FLIGHT_MESSAGES_MAX) await settleOldest();
    if (failure !== undefined) break;
  }
  while (inFlight.length > 0) await settleOldest();
  if (failure !== undefined) throw failure;
}
