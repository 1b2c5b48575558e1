// `tributary lock acquire|release|status|list`: distributed locks held on a broker (issue 13).
// `acquire` prints one JSON line {"name","token","fence","leaseMs"} once granted, renews the
// lease while it holds, and releases on Ctrl-C (or after --hold-ms); if the lock is lost it
// prints {"lost": reason} on stderr and exits 1. The broker is --broker, else
// $TRIBUTARY_BROKER, else 127.0.0.1:10911.
import { LockClient, type LockStatus } from '../../client/index.js';
import { cliCommand } from './cli-command.js';
import type { CommandLine } from '../command-line.js';
import { clientSecurityFromEnvironment } from '../flags/client-security.js';
import { formatTable } from '../format-table.js';
import { subcommandGroup } from '../subcommand-group.js';
import { EXIT_CODE_FAILURE } from '../cli-constants.js';

const BROKER_ENV = 'TRIBUTARY_BROKER';
const BROKER_ADDRESS_DEFAULT = '127.0.0.1:10911';
const BROKER_FLAG = {
  type: 'string',
  placeholder: 'host:port',
  description: `the broker holding the locks (else $${BROKER_ENV})`,
  defaultText: BROKER_ADDRESS_DEFAULT,
} as const;
const NAME = [{ name: 'name', description: 'lock name' }] as const;

function lockClient(line: CommandLine): LockClient {
  const broker = line.string('broker') ?? (process.env[BROKER_ENV] || BROKER_ADDRESS_DEFAULT);
  return new LockClient({ broker, ...clientSecurityFromEnvironment() });
}

async function withLocks<T>(line: CommandLine, work: (locks: LockClient) => Promise<T>): Promise<T> {
  const locks = lockClient(line);
  try {
    return await work(locks);
  } finally {
    locks.close();
  }
}

const acquire = cliCommand(
  'acquire',
  {
    name: 'lock acquire',
    summary: 'Waits for a lock, prints its owner token and fencing token, holds it until Ctrl-C or --hold-ms.',
    positionals: NAME,
    flags: {
      'ttl-ms': { type: 'integer', min: 1, description: 'lease length (renewed while held)', required: true },
      'wait-ms': { type: 'integer', min: 0, description: 'give up after waiting this long (0: try once)' },
      'hold-ms': { type: 'integer', min: 0, description: 'release after holding this long' },
      token: { type: 'string', placeholder: 'token', description: 'owner token (default: a random UUID)' },
      broker: BROKER_FLAG,
    },
    examples: [
      'tributary lock acquire orders --ttl-ms 10000',
      'tributary lock acquire orders --ttl-ms 5000 --wait-ms 0',
    ],
  },
  async (line) => {
    const name = line.positionals[0]!;
    const locks = lockClient(line);
    try {
      const lock = await locks.acquire(name, {
        ttlMs: line.integer('ttl-ms')!,
        waitMs: line.integer('wait-ms'),
        token: line.string('token'),
        autoRenew: true,
      });
      console.log(JSON.stringify({ name, token: lock.token, fence: lock.fence, leaseMs: lock.leaseMs }));
      const lost = await holdUntilDone(locks, line.integer('hold-ms'));
      if (lost !== undefined) {
        console.error(`tributary: lost lock ${name}: ${lost}`);
        process.exitCode = EXIT_CODE_FAILURE;
        return;
      }
      await lock.release();
    } finally {
      locks.close();
    }
  },
);

/** Resolves undefined on Ctrl-C, SIGTERM or after `holdMs`; with the reason if the lock is lost. */
function holdUntilDone(locks: LockClient, holdMs: number | undefined): Promise<string | undefined> {
  return new Promise((resolve) => {
    const done = (reason?: string): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      clearTimeout(timer);
      resolve(reason);
    };
    const onSignal = (): void => done();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const timer = holdMs === undefined ? undefined : setTimeout(done, holdMs);
    locks.once('lost', (event) => done(event.reason));
  });
}

const release = cliCommand(
  'release',
  {
    name: 'lock release',
    summary: 'Releases a lock by its owner token (the token `lock acquire` printed).',
    positionals: NAME,
    flags: {
      token: { type: 'string', placeholder: 'token', description: 'owner token', required: true },
      broker: BROKER_FLAG,
    },
    examples: ['tributary lock release orders --token 3b8f...'],
  },
  async (line) => {
    const name = line.positionals[0]!;
    await withLocks(line, (locks) => locks.release(name, line.string('token')!));
    console.log(`released ${name}`);
  },
);

function statusRows(statuses: readonly LockStatus[]): (string | number)[][] {
  return statuses.flatMap((status) =>
    status.holders.map((holder) => [
      status.name,
      status.kind,
      holder.mode,
      holder.fence,
      holder.leaseRemainingMs,
      holder.address ?? '(restored, not renewed yet)',
      status.waiters,
    ]),
  );
}

const HEADERS = ['NAME', 'KIND', 'MODE', 'FENCE', 'LEASE LEFT MS', 'HOLDER', 'WAITERS'];

const status = cliCommand(
  'status',
  {
    name: 'lock status',
    summary: 'Shows who holds a lock (fencing token, lease left, address; never tokens) and how many wait.',
    positionals: NAME,
    flags: { json: { type: 'boolean', description: 'print JSON' }, broker: BROKER_FLAG },
    examples: ['tributary lock status orders'],
  },
  async (line) => {
    const name = line.positionals[0]!;
    const found = await withLocks(line, (locks) => locks.status(name));
    if (line.boolean('json')) return console.log(JSON.stringify(found ?? { name, holders: [] }));
    if (found === undefined) return console.log(`lock ${name} is free`);
    console.log(formatTable(HEADERS, statusRows([found])));
  },
);

const list = cliCommand(
  'list',
  {
    name: 'lock list',
    summary: 'Lists every held lock with its holders.',
    flags: { json: { type: 'boolean', description: 'print one JSON object per line' }, broker: BROKER_FLAG },
    examples: ['tributary lock list'],
  },
  async (line) => {
    const all = await withLocks(line, (locks) => locks.list());
    if (line.boolean('json')) return all.forEach((entry) => console.log(JSON.stringify(entry)));
    if (all.length === 0) return console.log('no locks are held');
    console.log(formatTable(HEADERS, statusRows(all)));
  },
);

export const lockCommand = subcommandGroup('lock', 'Acquires, releases and inspects distributed locks.', [
  acquire,
  release,
  status,
  list,
]);
