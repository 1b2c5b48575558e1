// `tributary id create|next|list`: the broker's unique id sequences (segment mode). `next`
// takes one range of --count ids and prints them, one a line; each id is handed out once,
// whoever asks (the range is logged at the broker before it answers).
import { IdClient } from '../../client/index.js';
import { cliFailure } from '../cli-failure.js';
import { cliCommand } from './cli-command.js';
import { clientSecurityFromEnvironment } from '../flags/client-security.js';
import { formatTable } from '../format-table.js';
import { NAMESRV_FLAG, nameServerAddress } from '../flags/name-server-address.js';
import { subcommandGroup } from '../subcommand-group.js';

const SEQUENCE_POSITIONAL = { name: 'sequence', description: 'sequence name' } as const;
const JSON_FLAG = { type: 'boolean', description: 'print JSON' } as const;
/** Most ids one `id next` prints. */
const NEXT_COUNT_MAX = 1_000_000;

async function withIds<T>(nameServer: string, work: (ids: IdClient) => Promise<T>): Promise<T> {
  const ids = new IdClient({ nameServer, ...clientSecurityFromEnvironment() });
  try {
    return await work(ids);
  } catch (error) {
    throw cliFailure(error, { nameServer });
  } finally {
    await ids.close();
  }
}

const create = cliCommand(
  'create',
  {
    name: 'id create',
    summary: 'Creates a sequence handing out ids from --start in steps of --step (again with the same step: no-op).',
    positionals: [SEQUENCE_POSITIONAL],
    flags: {
      start: { type: 'integer', min: 0, description: 'first id', defaultText: '1' },
      step: { type: 'integer', min: 1, description: 'distance between ids', defaultText: '1' },
      namesrv: NAMESRV_FLAG,
    },
    examples: ['tributary id create orders --start 1000 --step 1'],
  },
  async (line) => {
    const sequence = line.positionals[0]!;
    const start = line.integer('start', 1);
    const step = line.integer('step', 1);
    await withIds(nameServerAddress(line), (ids) => ids.createSequence(sequence, { start, step }));
    console.log(`created sequence ${sequence} (start ${start}, step ${step})`);
  },
);

const next = cliCommand(
  'next',
  {
    name: 'id next',
    summary: 'Takes the next ids of a sequence and prints them, one a line.',
    positionals: [SEQUENCE_POSITIONAL],
    flags: {
      count: { type: 'integer', min: 1, description: `ids to take, at most ${NEXT_COUNT_MAX}`, defaultText: '1' },
      namesrv: NAMESRV_FLAG,
    },
    examples: ['tributary id next orders', 'tributary id next orders --count 5'],
  },
  async (line) => {
    const sequence = line.positionals[0]!;
    const count = line.integer('count', 1);
    if (count > NEXT_COUNT_MAX) throw line.usageError(`--count is at most ${NEXT_COUNT_MAX}`);
    const range = await withIds(nameServerAddress(line), (ids) => ids.takeRange(sequence, count));
    const lines: string[] = [];
    for (let i = 0; i < range.count; i++) lines.push(String(range.first + i * range.step));
    console.log(lines.join('\n'));
  },
);

const list = cliCommand(
  'list',
  {
    name: 'id list',
    summary: 'Lists the sequences with the next id each will hand out.',
    flags: { json: JSON_FLAG, namesrv: NAMESRV_FLAG },
    examples: ['tributary id list'],
  },
  async (line) => {
    const sequences = await withIds(nameServerAddress(line), (ids) => ids.sequences());
    if (line.boolean('json')) for (const sequence of sequences) console.log(JSON.stringify(sequence));
    else
      console.log(
        formatTable(
          ['SEQUENCE', 'NEXT', 'STEP'],
          sequences.map((s) => [s.name, s.next, s.step]),
        ),
      );
  },
);

export const idCommand = subcommandGroup('id', 'Unique ids: sequences handing out ranges from the broker.', [
  create,
  next,
  list,
]);
