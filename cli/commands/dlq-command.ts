// `tributary dlq list|resend`: a consumer group's dead letters (messages that failed
// maxReconsumeTimes deliveries), with where they came from, and re-sending one to the group.
// A resent message goes to %RETRY%<group>, is consumed again under its original topic with
// reconsumeTimes 0, and stays listed in the DLQ as well.
import type { DeadLetter } from '../../client/index.js';
import { isValidTopic } from '../../storage/index.js';
import { cliCommand } from './cli-command.js';
import { CliFailure } from '../cli-failure.js';
import type { CommandLine } from '../command-line.js';
import { formatTable } from '../format-table.js';
import { messageView } from '../message-view.js';
import { NAMESRV_FLAG, nameServerAddress } from '../flags/name-server-address.js';
import { subcommandGroup } from '../subcommand-group.js';
import { withAdmin } from '../with-admin.js';

const GROUP_FLAG = { type: 'string', placeholder: 'group', description: 'consumer group', required: true } as const;
const JSON_FLAG = { type: 'boolean', description: 'print one JSON object per line' } as const;
/** Dead letters `list` shows unless --count says otherwise. */
const LIST_COUNT_DEFAULT = 32;
/** Characters of a body the table shows. */
const BODY_PREVIEW_CHARS = 40;

function groupArgument(line: CommandLine): string {
  const group = line.string('group')!;
  if (!isValidTopic(group)) {
    throw line.usageError(`invalid group name '${group}': use letters, digits, '_', '-', '%' or '|', at most 127`);
  }
  return group;
}

/** The JSON form: origin first, then every field of the message as `message --json` shows it. */
function deadLetterView(letter: DeadLetter): object {
  return {
    brokerName: letter.brokerName,
    originTopic: letter.originTopic,
    originMsgId: letter.originMsgId,
    ...messageView(letter.message),
    reconsumeTimes: letter.reconsumeTimes,
  };
}

function deadLetterRow(letter: DeadLetter): (string | number)[] {
  const body = messageView(letter.message).body;
  const preview = body.length > BODY_PREVIEW_CHARS ? `${body.slice(0, BODY_PREVIEW_CHARS)}…` : body;
  return [
    letter.brokerName,
    letter.queueOffset,
    letter.message.msgId,
    letter.originTopic,
    letter.reconsumeTimes,
    new Date(letter.message.storeTimestamp).toISOString(),
    JSON.stringify(preview),
  ];
}

const list = cliCommand(
  'list',
  {
    name: 'dlq list',
    summary: "Lists a consumer group's dead letters, oldest first, with origin topic, message id and failures.",
    flags: {
      group: GROUP_FLAG,
      offset: { type: 'integer', min: 0, description: "first position in each broker's DLQ", defaultText: '0' },
      count: {
        type: 'integer',
        min: 1,
        description: 'most dead letters shown',
        defaultText: String(LIST_COUNT_DEFAULT),
      },
      json: JSON_FLAG,
      namesrv: NAMESRV_FLAG,
    },
    examples: ['tributary dlq list --group billing', 'tributary dlq list --group billing --offset 32 --json'],
  },
  async (line) => {
    const group = groupArgument(line);
    const query = { offset: line.integer('offset', 0), maxCount: line.integer('count', LIST_COUNT_DEFAULT) };
    const nameServer = nameServerAddress(line);
    const letters = await withAdmin(nameServer, { nameServer }, (admin) => admin.dlqMessages(group, query));
    if (line.boolean('json')) {
      for (const letter of letters) console.log(JSON.stringify(deadLetterView(letter)));
      return;
    }
    if (letters.length === 0) {
      console.log(`no dead letters in group '${group}'${query.offset > 0 ? ` from offset ${query.offset}` : ''}`);
      return;
    }
    const headers = ['BROKER', 'OFFSET', 'MESSAGE ID', 'ORIGIN TOPIC', 'FAILURES', 'DEAD SINCE', 'BODY'];
    console.log(formatTable(headers, letters.map(deadLetterRow)));
  },
);

const resend = cliCommand(
  'resend',
  {
    name: 'dlq resend',
    summary: "Re-sends a dead letter to its group's retry topic, to be consumed again with a fresh retry count.",
    flags: {
      group: GROUP_FLAG,
      id: { type: 'string', placeholder: 'id', description: 'message id as `dlq list` shows it', required: true },
      json: JSON_FLAG,
      namesrv: NAMESRV_FLAG,
    },
    examples: ['tributary dlq resend --group billing --id 7F0000011F2A18B4AAC2000000000000'],
  },
  async (line) => {
    const group = groupArgument(line);
    const id = line.string('id')!;
    const nameServer = nameServerAddress(line);
    const resent = await withAdmin(nameServer, { nameServer }, (admin) => admin.resendDeadLetter(group, id));
    if (resent === undefined) throw new CliFailure(`no dead letter with id '${id}' in group '${group}'`);
    if (line.boolean('json')) console.log(JSON.stringify({ group, ...resent }));
    else
      console.log(`resent ${resent.msgId} to %RETRY%${group} on ${resent.brokerName} (origin ${resent.originTopic})`);
  },
);

export const dlqCommand = subcommandGroup('dlq', "Browses and re-sends a consumer group's dead letters.", [
  list,
  resend,
]);
