// `tributary message`: looks a message up by id (the producer's id needs --topic; an offset
// id, which encodes its broker and position, does not) or by key (--key with --topic), and
// prints every field (mqadmin queryMsgById / queryMsgByKey).
import type { ReceivedMessage } from '../../client/index.js';
import { cliCommand, type CliCommand } from './cli-command.js';
import { messageTraceCommand } from './message-trace-command.js';
import { KEY_LOOKUP_MESSAGES_MAX } from '../cli-constants.js';
import { CliFailure } from '../cli-failure.js';
import { messageDetails, messageView } from '../message-view.js';
import { NAMESRV_FLAG, nameServerAddress } from '../flags/name-server-address.js';
import { topicArgument } from '../flags/topic-argument.js';
import { withAdmin } from '../with-admin.js';

/** An offset message id: store host (8 bytes) and commit log offset (8 bytes), in hex. */
const OFFSET_ID_PATTERN = /^[0-9A-Fa-f]{32}$/;

const lookUp = cliCommand(
  'message',
  {
    name: 'message',
    summary: 'Looks up messages by id or key; prints topic, tags, keys, queue, hosts, times, properties and body.',
    flags: {
      id: { type: 'string', placeholder: 'id', description: 'message id (producer id with --topic, or offset id)' },
      key: { type: 'string', placeholder: 'key', description: 'message key (needs --topic); every match is printed' },
      topic: { type: 'string', placeholder: 'topic', description: 'topic of the message' },
      json: { type: 'boolean', description: 'print one JSON object per message' },
      namesrv: NAMESRV_FLAG,
    },
    examples: [
      'tributary message --id 0A0000017A2B18B4AAC2000000000000 --topic orders',
      'tributary message --key o-17 --topic orders --json',
      'tributary message trace <msgId>        # where it is and who consumed it: see tributary message trace --help',
    ],
  },
  async (line) => {
    const id = line.string('id');
    const key = line.string('key');
    const topicFlag = line.string('topic');
    if ((id === undefined) === (key === undefined)) throw line.usageError('give exactly one of --id and --key');
    if (topicFlag === undefined && key !== undefined) throw line.usageError('--key needs --topic');
    if (topicFlag === undefined && !OFFSET_ID_PATTERN.test(id!)) {
      throw line.usageError(`'${id}' is not an offset id (32 hex digits); a producer's message id needs --topic`);
    }
    const topic = topicFlag === undefined ? undefined : topicArgument(line, topicFlag);
    const nameServer = nameServerAddress(line);
    const found = await withAdmin(nameServer, { topic, nameServer }, async (admin): Promise<ReceivedMessage[]> => {
      if (key !== undefined) return admin.messagesByKey(topic!, key, KEY_LOOKUP_MESSAGES_MAX);
      const message = await admin.messageById(id!, topic);
      return message === undefined ? [] : [message];
    });
    if (found.length === 0) {
      const what = key === undefined ? `id '${id}'` : `key '${key}'`;
      // Both kinds of id are 32 hex digits; only a producer's id needs the topic.
      const hint = topic === undefined ? " (a producer's message id, as `produce` prints, needs --topic)" : '';
      throw new CliFailure(`no message with ${what}${topic === undefined ? '' : ` in topic '${topic}'`}${hint}`);
    }
    if (line.boolean('json')) for (const message of found) console.log(JSON.stringify(messageView(message)));
    else console.log(found.map(messageDetails).join('\n\n'));
  },
);

/** `tributary message trace <msgId>` traces one message; flags alone look messages up. */
export const messageCommand: CliCommand = {
  word: lookUp.word,
  summary: lookUp.summary,
  run: (argv) => (argv[0] === 'trace' ? messageTraceCommand.run(argv.slice(1)) : lookUp.run(argv)),
};
