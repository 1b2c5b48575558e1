// `tributary config publish|get|watch|history|rollback|promote|abandon|delete`: the config
// centre from the shell. Every subcommand is bound to one environment (--env) and talks to one
// broker (--broker, else $TRIBUTARY_BROKER, else 127.0.0.1:10911); an ACL account comes from
// TRIBUTARY_ACCESS_KEY / TRIBUTARY_SECRET_KEY and TLS from TRIBUTARY_TLS* as for the other client
// commands.
import fs from 'node:fs';

import { ConfigClient, type ConfigClientOptions } from '../../client/index.js';
import { BROKER_PORT_DEFAULT } from '../cli-constants.js';
import { CliFailure } from '../cli-failure.js';
import type { CommandLine, FlagSpec, PositionalSpec } from '../command-line.js';
import { clientSecurityFromEnvironment } from '../flags/client-security.js';
import { formatTable } from '../format-table.js';
import { subcommandGroup } from '../subcommand-group.js';
import { cliCommand } from './cli-command.js';

const BROKER_ENV = 'TRIBUTARY_BROKER';
const BROKER_ADDRESS_DEFAULT = `127.0.0.1:${BROKER_PORT_DEFAULT}`;
const NAMESPACE: PositionalSpec = { name: 'namespace', description: 'config namespace, e.g. an application name' };
const KEY: PositionalSpec = { name: 'key', description: 'config key' };

const COMMON_FLAGS: Readonly<Record<string, FlagSpec>> = {
  env: { type: 'string', placeholder: 'env', description: 'environment (dev, test, prod...)', required: true },
  group: { type: 'string', placeholder: 'group', description: 'item group', defaultText: 'DEFAULT_GROUP' },
  broker: {
    type: 'string',
    placeholder: 'host:port',
    description: 'broker address',
    defaultText: `$${BROKER_ENV}, else ${BROKER_ADDRESS_DEFAULT}`,
  },
  json: { type: 'boolean', description: 'print JSON' },
};
const CHANGE_FLAGS: Readonly<Record<string, FlagSpec>> = {
  ...COMMON_FLAGS,
  comment: { type: 'string', placeholder: 'text', description: 'why (kept in the history)' },
};

/** Opens a client for the command line, runs `action`, closes it. */
async function withConfigClient<T>(
  line: CommandLine,
  action: (client: ConfigClient) => Promise<T>,
  extra: Partial<ConfigClientOptions> = {},
): Promise<T> {
  const broker = line.string('broker') ?? (process.env[BROKER_ENV] || BROKER_ADDRESS_DEFAULT);
  const client = new ConfigClient({ broker, env: line.string('env')!, ...clientSecurityFromEnvironment(), ...extra });
  try {
    return await action(client);
  } finally {
    client.close();
  }
}

function groupOption(line: CommandLine): { group?: string } {
  const group = line.string('group');
  return group === undefined ? {} : { group };
}

/** The group and comment of a change. */
function itemOptions(line: CommandLine): { group?: string; comment?: string } {
  const comment = line.string('comment');
  return { ...groupOption(line), ...(comment === undefined ? {} : { comment }) };
}

/** Prints a result as JSON, or as `text`. */
function report(line: CommandLine, result: object, text: string): void {
  console.log(line.boolean('json') ? JSON.stringify(result) : text);
}

function publishValue(line: CommandLine): string {
  const value = line.string('value');
  const file = line.string('file');
  if ((value === undefined) === (file === undefined)) throw line.usageError('give exactly one of --value and --file');
  if (value !== undefined) return value;
  try {
    return fs.readFileSync(file!, 'utf8');
  } catch (error) {
    throw new CliFailure(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

function grayOptions(line: CommandLine): { grayClientIds?: string[]; grayPercent?: number } {
  const clients = line.string('gray-clients');
  const percent = line.integer('gray-percent', -1);
  if (percent > 100) throw line.usageError('--gray-percent must be from 1 to 100');
  return {
    ...(clients === undefined ? {} : { grayClientIds: clients.split(',').filter((id) => id !== '') }),
    ...(percent < 0 ? {} : { grayPercent: percent }),
  };
}

const publish = cliCommand(
  'publish',
  {
    name: 'config publish',
    summary: 'Publishes a new version of a key (or a gray release to some clients first).',
    positionals: [NAMESPACE, KEY],
    flags: {
      ...CHANGE_FLAGS,
      value: { type: 'string', placeholder: 'text', description: 'the value' },
      file: { type: 'string', placeholder: 'path', description: 'read the value from a file' },
      'gray-clients': { type: 'string', placeholder: 'id,id', description: 'gray release to these client ids' },
      'gray-percent': { type: 'integer', min: 1, description: 'gray release to this percentage of clients' },
    },
    examples: [
      'tributary config publish orders-app pool.size --env prod --value 20',
      'tributary config publish orders-app pool.size --env prod --value 40 --gray-percent 10',
    ],
  },
  async (line) => {
    const [namespace, key] = line.positionals as [string, string];
    const value = publishValue(line);
    const result = await withConfigClient(line, (client) =>
      client.publish(namespace, key, value, { ...itemOptions(line), ...grayOptions(line) }),
    );
    report(line, result, `published ${namespace} ${key} version ${result.version}${result.gray ? ' (gray)' : ''}`);
  },
);

const get = cliCommand(
  'get',
  {
    name: 'config get',
    summary: 'Prints the value of a key (exit 1 when absent).',
    positionals: [NAMESPACE, KEY],
    flags: { ...COMMON_FLAGS, 'client-id': { type: 'string', placeholder: 'id', description: 'read as this client' } },
    examples: ['tributary config get orders-app pool.size --env prod'],
  },
  async (line) => {
    const [namespace, key] = line.positionals as [string, string];
    const clientId = line.string('client-id');
    const value = await withConfigClient(
      line,
      (client) => client.get(namespace, key, groupOption(line)),
      clientId === undefined ? {} : { clientId },
    );
    if (value === undefined) throw new CliFailure(`no key '${key}' in ${namespace} (env ${line.string('env')})`);
    report(line, { namespace, key, value }, value);
  },
);

const watch = cliCommand(
  'watch',
  {
    name: 'config watch',
    summary: 'Prints each change of a namespace (or one key) as one JSON line, until Ctrl-C or --count.',
    positionals: [NAMESPACE],
    flags: {
      ...COMMON_FLAGS,
      key: { type: 'string', placeholder: 'key', description: 'only this key' },
      count: { type: 'integer', min: 1, description: 'exit after this many changes' },
      'client-id': { type: 'string', placeholder: 'id', description: 'watch as this client (gray releases)' },
    },
    examples: ['tributary config watch orders-app --env prod'],
  },
  async (line) => {
    const [namespace] = line.positionals as [string];
    const count = line.integer('count', Number.POSITIVE_INFINITY);
    const clientId = line.string('client-id');
    await withConfigClient(
      line,
      async (client) => {
        let seen = 0;
        let done: () => void = () => undefined;
        const finished = new Promise<void>((resolve) => (done = resolve));
        const group = line.string('group');
        await client.watch(
          namespace,
          line.string('key'),
          (change) => {
            console.log(JSON.stringify(change));
            if (++seen >= count) done();
          },
          group === undefined ? {} : { group },
        );
        // On stderr, so stdout holds only changes: whoever waits for it may publish now.
        console.error(`tributary: watching ${namespace} in env ${line.string('env')}`);
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
        await finished;
      },
      clientId === undefined ? {} : { clientId },
    );
  },
);

const history = cliCommand(
  'history',
  {
    name: 'config history',
    summary: 'Lists the kept versions of a key, oldest first, and its pending gray release.',
    positionals: [NAMESPACE, KEY],
    flags: COMMON_FLAGS,
    examples: ['tributary config history orders-app pool.size --env prod'],
  },
  async (line) => {
    const [namespace, key] = line.positionals as [string, string];
    const result = await withConfigClient(line, (client) => client.history(namespace, key, groupOption(line)));
    if (line.boolean('json')) return console.log(JSON.stringify(result));
    const rows = result.versions.map((v) => [
      v.version,
      v.kind + (v.from === undefined ? '' : ` of ${v.from}`),
      v.value === null ? '(deleted)' : JSON.stringify(v.value),
      v.author,
      new Date(v.time).toISOString(),
      v.comment,
    ]);
    const { gray } = result;
    if (gray !== null)
      rows.push([
        gray.version,
        `gray ${gray.percent}% ${gray.clientIds.join(',')}`,
        JSON.stringify(gray.value),
        gray.author,
        new Date(gray.time).toISOString(),
        gray.comment,
      ]);
    console.log(formatTable(['VERSION', 'KIND', 'VALUE', 'AUTHOR', 'TIME', 'COMMENT'], rows));
  },
);

const rollback = cliCommand(
  'rollback',
  {
    name: 'config rollback',
    summary: 'Publishes a new version equal to a kept earlier one.',
    positionals: [NAMESPACE, KEY],
    flags: {
      ...CHANGE_FLAGS,
      'to-version': { type: 'integer', min: 1, description: 'the version to restore', required: true },
    },
    examples: ['tributary config rollback orders-app pool.size --env prod --to-version 3'],
  },
  async (line) => {
    const [namespace, key] = line.positionals as [string, string];
    const to = line.integer('to-version', 0);
    const result = await withConfigClient(line, (client) => client.rollback(namespace, key, to, itemOptions(line)));
    report(line, result, `rolled ${namespace} ${key} back to version ${to} as version ${result.version}`);
  },
);

const PAST = { promote: 'promoted', abandon: 'abandoned', delete: 'deleted' } as const;

/** promote, abandon and delete: a change that names only the item. */
function itemChange(word: 'promote' | 'abandon' | 'delete', summary: string): ReturnType<typeof cliCommand> {
  return cliCommand(
    word,
    {
      name: `config ${word}`,
      summary,
      positionals: [NAMESPACE, KEY],
      flags: CHANGE_FLAGS,
      examples: [`tributary config ${word} orders-app pool.size --env prod`],
    },
    async (line) => {
      const [namespace, key] = line.positionals as [string, string];
      const result = await withConfigClient(
        line,
        async (client) => (await client[word](namespace, key, itemOptions(line))) ?? {},
      );
      const version = 'version' in result ? ` (version ${result.version})` : '';
      report(line, result, `${PAST[word]} ${namespace} ${key}${version}`);
    },
  );
}

export const configCommand = subcommandGroup('config', 'Publishes, reads, watches and rolls back config items.', [
  publish,
  get,
  watch,
  history,
  rollback,
  itemChange('promote', 'Makes the gray release of a key its main version for every client.'),
  itemChange('abandon', 'Drops the gray release of a key; its clients see the main version again.'),
  itemChange('delete', 'Deletes a key (a tombstone version; rollback restores it).'),
]);
