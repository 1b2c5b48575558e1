// `tributary tcc list|describe|commit|rollback`: the TCC coordinator's global transactions, for
// operators with a stuck one. `list` shows the unfinished globals and the newest finished ones;
// `describe` one global and its branches (state, empty rollback, confirm or cancel attempts);
// `commit` decides commit for a global still trying whose branches all tried, `rollback` decides
// rollback for a global still trying. A decided global is driven to its end by the coordinator.
import { TccCoordinatorClient, type TccGlobalStatus } from '../../client/index.js';
import { cliCommand } from './cli-command.js';
import type { CommandLine } from '../command-line.js';
import { formatTable } from '../format-table.js';
import { subcommandGroup } from '../subcommand-group.js';

const BROKER_FLAG = {
  type: 'string',
  placeholder: 'host:port',
  description: 'the broker running the TCC coordinator',
  required: true,
} as const;
const XID_FLAG = { type: 'string', placeholder: 'xid', description: 'global transaction id', required: true } as const;
const JSON_FLAG = { type: 'boolean', description: 'print JSON' } as const;
/** Finished globals `list` shows unless --finished says otherwise. */
const LIST_FINISHED_DEFAULT = 20;

async function withCoordinator<T>(line: CommandLine, body: (client: TccCoordinatorClient) => Promise<T>): Promise<T> {
  const client = new TccCoordinatorClient({ coordinatorAddress: line.string('broker')! });
  try {
    return await body(client);
  } finally {
    client.close();
  }
}

function branchesText(global: TccGlobalStatus): string {
  return global.branches.map((b) => `${b.resource}:${b.state}${b.emptyRollback ? '(empty)' : ''}`).join(' ');
}

const list = cliCommand(
  'list',
  {
    name: 'tcc list',
    summary: 'Lists unfinished global transactions, then the newest finished ones.',
    flags: {
      broker: BROKER_FLAG,
      finished: { type: 'integer', min: 0, description: 'finished globals shown', defaultText: '20' },
      json: JSON_FLAG,
    },
    examples: ['tributary tcc list --broker 127.0.0.1:10911'],
  },
  async (line) => {
    const globals = await withCoordinator(line, (c) => c.list(line.integer('finished', LIST_FINISHED_DEFAULT)));
    if (line.boolean('json')) return console.log(JSON.stringify({ globals }));
    if (globals.length === 0) return console.log('no global transactions');
    const rows = globals.map((g) => [g.xid, g.state, new Date(g.createdMs).toISOString(), branchesText(g)]);
    console.log(formatTable(['XID', 'STATE', 'CREATED', 'BRANCHES'], rows));
  },
);

const describe = cliCommand(
  'describe',
  {
    name: 'tcc describe',
    summary: 'Shows one global transaction and each of its branches.',
    flags: { broker: BROKER_FLAG, xid: XID_FLAG, json: JSON_FLAG },
    examples: ['tributary tcc describe --broker 127.0.0.1:10911 --xid 0b6f...'],
  },
  async (line) => {
    const global = await withCoordinator(line, (c) => c.status(line.string('xid')!));
    if (line.boolean('json')) return console.log(JSON.stringify(global));
    console.log(`xid ${global.xid}\nstate ${global.state}\ncreated ${new Date(global.createdMs).toISOString()}`);
    console.log(`times out ${new Date(global.timeoutAtMs).toISOString()}`);
    const rows = global.branches.map((b) => [b.resource, b.state, b.emptyRollback ? 'yes' : 'no', b.attempts]);
    console.log(formatTable(['RESOURCE', 'STATE', 'EMPTY ROLLBACK', 'ATTEMPTS'], rows));
  },
);

function decision(word: 'commit' | 'rollback', summary: string) {
  return cliCommand(
    word,
    {
      name: `tcc ${word}`,
      summary,
      flags: { broker: BROKER_FLAG, xid: XID_FLAG },
      examples: [`tributary tcc ${word} --broker 127.0.0.1:10911 --xid 0b6f...`],
    },
    async (line) => {
      const xid = line.string('xid')!;
      await withCoordinator(line, (c) => (word === 'commit' ? c.commit(xid) : c.rollback(xid)));
      console.log(`${word === 'commit' ? 'committing' : 'rolling back'} ${xid}`);
    },
  );
}

export const tccCommand = subcommandGroup('tcc', 'Lists, inspects and decides TCC global transactions.', [
  list,
  describe,
  decision('commit', 'Decides commit for a global still trying (every branch must have tried).'),
  decision('rollback', 'Decides rollback for a global still trying.'),
]);
