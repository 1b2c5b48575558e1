// `tributary quota set|list|delete`: rate limit quotas, enforced by every broker on what reaches
// it. Produce quotas per topic or per account (messages/s, bytes/s), pull quotas per consumer
// group (pulls/s). A request over a quota is answered SYSTEM_BUSY with a retry-after hint that
// Tributary's clients wait out; a change takes effect at once.
import type { QuotaScope, QuotaSpec } from '../../client/index.js';
import { cliCommand } from './cli-command.js';
import type { CommandLine } from '../command-line.js';
import { formatTable } from '../format-table.js';
import { NAMESRV_FLAG, nameServerAddress } from '../flags/name-server-address.js';
import { subcommandGroup } from '../subcommand-group.js';
import { withAdmin } from '../with-admin.js';

const SCOPE_FLAGS = {
  topic: { type: 'string', placeholder: 'topic', description: 'a topic (produce quota)' },
  account: { type: 'string', placeholder: 'account', description: 'an ACL access key (produce quota)' },
  group: { type: 'string', placeholder: 'group', description: 'a consumer group (pull quota)' },
} as const;

/** The one scope flag given, as scope and name. */
function scopeOf(line: CommandLine): { scope: QuotaScope; name: string } {
  const given = (['topic', 'account', 'group'] as const).filter((scope) => line.string(scope) !== undefined);
  if (given.length !== 1) throw line.usageError('give exactly one of --topic, --account, --group');
  return { scope: given[0]!, name: line.string(given[0]!)! };
}

const set = cliCommand(
  'set',
  {
    name: 'quota set',
    summary: 'Sets or changes a quota: --topic or --account with rates per second, or --group with --pulls-per-s.',
    flags: {
      ...SCOPE_FLAGS,
      'messages-per-s': { type: 'integer', min: 1, description: 'messages a second (topic, account)' },
      'bytes-per-s': { type: 'integer', min: 1, description: 'body bytes a second (topic, account)' },
      'pulls-per-s': { type: 'integer', min: 1, description: 'pull requests a second (group)' },
      namesrv: NAMESRV_FLAG,
    },
    examples: [
      'tributary quota set --topic orders --messages-per-s 1000 --bytes-per-s 1048576',
      'tributary quota set --account shop --messages-per-s 5000',
      'tributary quota set --group billing --pulls-per-s 50',
    ],
  },
  async (line) => {
    const { scope, name } = scopeOf(line);
    const rates = {
      messagesPerS: line.integer('messages-per-s'),
      bytesPerS: line.integer('bytes-per-s'),
      pullsPerS: line.integer('pulls-per-s'),
    };
    const quota = { scope, name, ...Object.fromEntries(Object.entries(rates).filter(([, v]) => v !== undefined)) };
    const nameServer = nameServerAddress(line);
    await withAdmin(nameServer, { nameServer }, (admin) => admin.setQuota(quota as QuotaSpec));
    console.log(`set the ${scope} quota of ${name}: ${describeRates(quota as QuotaSpec)}`);
  },
);

const list = cliCommand(
  'list',
  {
    name: 'quota list',
    summary: "Lists every broker's quotas.",
    flags: { json: { type: 'boolean', description: 'print JSON' }, namesrv: NAMESRV_FLAG },
    examples: ['tributary quota list'],
  },
  async (line) => {
    const nameServer = nameServerAddress(line);
    const lists = await withAdmin(nameServer, { nameServer }, (admin) => admin.quotas());
    const rows = lists.flatMap(({ broker, quotas }) => quotas.map((quota) => ({ broker, ...quota })));
    if (line.boolean('json')) for (const row of rows) console.log(JSON.stringify(row));
    else if (rows.length === 0) console.log('no quotas');
    else
      console.log(
        formatTable(
          ['BROKER', 'SCOPE', 'NAME', 'RATES'],
          rows.map((row) => [row.broker, row.scope, row.name, describeRates(row)]),
        ),
      );
  },
);

const remove = cliCommand(
  'delete',
  {
    name: 'quota delete',
    summary: 'Deletes a quota (--topic, --account or --group).',
    flags: { ...SCOPE_FLAGS, namesrv: NAMESRV_FLAG },
    examples: ['tributary quota delete --topic orders'],
  },
  async (line) => {
    const { scope, name } = scopeOf(line);
    const nameServer = nameServerAddress(line);
    const deleted = await withAdmin(nameServer, { nameServer }, (admin) => admin.deleteQuota(scope, name));
    console.log(deleted ? `deleted the ${scope} quota of ${name}` : `no ${scope} quota of ${name}`);
  },
);

function describeRates(quota: QuotaSpec): string {
  const parts: string[] = [];
  if (quota.messagesPerS !== undefined) parts.push(`${quota.messagesPerS} messages/s`);
  if (quota.bytesPerS !== undefined) parts.push(`${quota.bytesPerS} bytes/s`);
  if (quota.pullsPerS !== undefined) parts.push(`${quota.pullsPerS} pulls/s`);
  return parts.join(', ');
}

export const quotaCommand = subcommandGroup('quota', 'Rate limit quotas on produce and pull.', [set, list, remove]);
