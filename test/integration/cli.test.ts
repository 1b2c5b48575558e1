// The `tributary` command end to end, as an operator uses it: every command runs as its own
// process (`node bin/tributary.js ...`) against a real `tributary start` (name server and
// broker in one process) on 127.0.0.1 with free ports, read from its ready line.
//
// Flow: start → topic create → produce 3 lines from stdin → consume them with --count 3
// --json → topic status shows the max offsets → group progress shows lag 0 → --count 1 over a
// backlog exits at once → a new group without --from hears it starts from last → message --id
// (producer id with --topic, offset id without) and --key find them → a second consumer
// stopped by SIGINT commits what it printed → unknown topics fail with one clear line (1) →
// usage mistakes fail with one line (2) → --help works everywhere → SIGINT stops the server
// cleanly (exit 0).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';

import { seededRandom, type SeededRandom } from '../support/seeded-random.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

/** dist/test/integration/cli.test.js -> bin/tributary.js at the repository root. */
const CLI_SCRIPT = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));

const TOPIC = 'CliOrders';
const GROUP = 'cli-billing';
const INTERRUPTED_GROUP = 'cli-audit';
const QUEUES = 4;
const MESSAGE_COUNT = 3;
/** Small segments: the default 1 GiB would be preheated to disk for a three-message test. */
const SEGMENT_MIB = 4;

const START_TIMEOUT_MS = 30_000;
const COMMAND_TIMEOUT_MS = 20_000;
const STOP_DEADLINE_MS = 10_000;

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

interface CliResult extends Exit {
  readonly stdout: string;
  readonly stderr: string;
}

/** An environment without the caller's TRIBUTARY_* settings, plus `extra`. */
function environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of ['TRIBUTARY_NAMESRV', 'TRIBUTARY_DATA']) if (!(name in extra)) delete env[name];
  return env;
}

/** A CLI process: its output so far, and its exit. */
class CliProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  readonly child: ChildProcess;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly args: readonly string[],
    env: NodeJS.ProcessEnv,
  ) {
    const child = spawn(process.execPath, [CLI_SCRIPT, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(child);
    this.child = child;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => this.grow('stdout', chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => this.grow('stderr', chunk));
    child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': by then stdout and stderr have been read to their end.
      child.once('close', (code, signal) => {
        live.delete(child);
        resolve({ code, signal });
        for (const listener of this.listeners) listener();
      });
    });
  }

  /** Resolves with `pick`'s first defined answer, checked on every output; rejects on exit or timeout. */
  waitFor<T>(what: string, timeoutMs: number, pick: () => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      let exited = false;
      void this.exited.then(() => {
        exited = true;
      });
      const check = (): void => {
        const value = pick();
        if (value !== undefined) finish(() => resolve(value));
        else if (exited) finish(() => reject(this.failure(`exited before ${what}`)));
      };
      const timeOut = (): void => finish(() => reject(this.failure(`no ${what} within ${timeoutMs} ms`)));
      const timer = setTimeout(timeOut, timeoutMs);
      const finish = (outcome: () => void): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        outcome();
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Sends `signal`, then SIGKILL after the deadline; the exit says whether it was needed. */
  async stop(signal: NodeJS.Signals, deadlineMs: number): Promise<Exit> {
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), deadlineMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  failure(message: string): Error {
    const output = `--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
    return new Error(`tributary ${this.args.join(' ')}: ${message}\n${output}`);
  }

  private grow(stream: 'stdout' | 'stderr', chunk: string): void {
    this[stream] += chunk;
    for (const listener of this.listeners) listener();
  }
}

/** Runs a command to its end, feeding `stdin`; never waits past COMMAND_TIMEOUT_MS. */
interface RunOptions {
  readonly stdin?: string;
  readonly env?: Record<string, string>;
}

async function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const cli = new CliProcess(args, environment(options.env));
  cli.child.stdin!.end(options.stdin ?? '');
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
  const exit = await cli.exited;
  clearTimeout(timer);
  if (exit.signal === 'SIGKILL') throw cli.failure(`still running after ${COMMAND_TIMEOUT_MS} ms`);
  return { ...exit, stdout: cli.stdout, stderr: cli.stderr };
}

/** Runs a command that must succeed; returns its stdout. */
async function ok(args: readonly string[], options: RunOptions = {}): Promise<string> {
  const result = await runCli(args, options);
  assert.equal(result.code, 0, `tributary ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/** Runs a command that must fail with `code` and exactly one stderr line. */
async function fails(args: readonly string[], code: number, message: RegExp): Promise<void> {
  const result = await runCli(args);
  assert.equal(result.code, code, `tributary ${args.join(' ')} exited ${result.code}, not ${code}: ${result.stderr}`);
  assert.match(result.stderr, /^tributary: [^\n]+\n$/, `tributary ${args.join(' ')}: not one line: ${result.stderr}`);
  assert.match(result.stderr, message);
}

const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

interface Server {
  readonly cli: CliProcess;
  readonly nameServer: string;
  readonly brokerPort: number;
}

async function startServer(dataDirectory: string): Promise<Server> {
  // HTTP ports picked too: the defaults (5557, 5558) may be taken by a parallel run.
  const args = ['start', '--data', dataDirectory, '--host', '127.0.0.1', '--port', '0', '--namesrv-port', '0'];
  args.push('--http-port', '0', '--namesrv-http-port', '0');
  const cli = new CliProcess([...args, '--segment-mb', String(SEGMENT_MIB)], environment());
  try {
    const ports = await cli.waitFor('ready line', START_TIMEOUT_MS, () => {
      const match = /name server port (\d+), broker port (\d+)/.exec(cli.stdout);
      return match === null ? undefined : { nameServer: Number(match[1]), broker: Number(match[2]) };
    });
    assert.match(cli.stdout, new RegExp(`data in ${dataDirectory.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n$`));
    // One process, two HTTP ports (two registries): both picked, distinct.
    const http = /HTTP: broker (\d+), name server (\d+)/.exec(cli.stdout);
    assert.ok(http !== null && Number(http[1]) > 0 && Number(http[2]) > 0 && http[1] !== http[2], cli.stdout);
    return { cli, nameServer: `127.0.0.1:${ports.nameServer}`, brokerPort: ports.broker };
  } catch (error) {
    await cli.stop('SIGKILL', 0);
    throw error;
  }
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('cli: usage mistakes exit 2 with one line; --help exits 0; an unreachable name server exits 1', async () => {
  const port = await closedPort();
  await Promise.all([
    fails([], 2, /a command is needed/),
    fails(['frob'], 2, /unknown command 'frob'/),
    fails(['topic'], 2, /'topic' needs a subcommand/),
    fails(['topic', 'status'], 2, /missing <topic>/),
    fails(['consume', '--topic', TOPIC], 2, /--group is required/),
    fails(['produce', '--topic', TOPIC, '--body', 'x', '--count', 'x'], 2, /--count must be an integer/),
    fails(['produce', '--topic', TOPIC, '--bogus'], 2, /unknown flag --bogus/),
    fails(['produce', '--topic', 'no spaces', '--body', 'x'], 2, /invalid topic name/),
    fails(['message', '--key', 'k'], 2, /--key needs --topic/),
    fails(['consume', '--topic', TOPIC, '--group', 'g', '--from', 'middle'], 2, /--from must be one of first, last/),
    // A group the broker would refuse fails at once instead of hanging with nothing delivered.
    fails(
      ['consume', '--topic', TOPIC, '--group', 'g.dot', '--namesrv', `127.0.0.1:${port}`],
      1,
      /group name 'g\.dot'/,
    ),
    fails(['topic', 'list', '--namesrv', `127.0.0.1:${port}`], 1, new RegExp(`name server 127.0.0.1:${port}$`, 'm')),
  ]);
  const helpArgs = [['--help'], ['topic', '--help'], ['produce', '--help'], ['group', 'progress', '-h']];
  const helps = await Promise.all(helpArgs.map((args) => ok(args)));
  for (const help of helps) assert.match(help, /^Usage: tributary /);
  assert.match(helps[2]!, /--topic topic +topic to send to \(required\)/);
});

interface Produced {
  readonly key: string;
  readonly bodies: readonly string[];
  readonly sent: readonly { msgId: string; queueId: number; queueOffset: number }[];
}

async function createAndProduce(server: Server, namesrv: readonly string[], random: SeededRandom): Promise<Produced> {
  const created = await ok(['topic', 'create', TOPIC, '--queues', String(QUEUES), ...namesrv]);
  assert.match(created, new RegExp(`created topic ${TOPIC}`));
  const listOutput = await ok(['topic', 'list', '--json'], { env: { TRIBUTARY_NAMESRV: server.nameServer } });
  const listed = JSON.parse(listOutput) as { topics: string[] };
  assert.ok(listed.topics.includes(TOPIC), `topic list (via TRIBUTARY_NAMESRV): ${listed.topics.join(', ')}`);
  // Three lines on stdin (and a blank one, skipped), with UTF-8 beyond ASCII.
  const key = `order-${random.int(1e9)}`;
  const bodies = Array.from({ length: MESSAGE_COUNT }, (_, i) => `line ${i} ${random.bytes(6).toString('hex')} é ✓`);
  const produced = await ok(['produce', '--topic', TOPIC, '--tags', 'paid', '--keys', `${key},other`, ...namesrv], {
    stdin: `${bodies[0]}\n\n${bodies.slice(1).join('\n')}\n`,
  });
  const sent = produced
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const match = /^msgId=([0-9A-F]{32}) queue=broker-a:(\d+) offset=(\d+)$/.exec(line);
      assert.ok(match !== null, `produce line: ${line}`);
      return { msgId: match[1]!, queueId: Number(match[2]), queueOffset: Number(match[3]) };
    });
  assert.equal(sent.length, MESSAGE_COUNT);
  return { key, bodies, sent };
}

async function consumeAll(namesrv: readonly string[], produced: Produced): Promise<Record<string, unknown>[]> {
  const consumeArgs = ['consume', '--topic', TOPIC, '--group', GROUP, '--from', 'first', '--count', '3', '--json'];
  const consumed = jsonLines(await ok([...consumeArgs, ...namesrv]));
  assert.equal(consumed.length, MESSAGE_COUNT);
  assert.deepEqual(consumed.map((m) => m.body).sort(), [...produced.bodies].sort());
  assert.deepEqual(consumed.map((m) => m.msgId).sort(), produced.sent.map((s) => s.msgId).sort());
  for (const message of consumed) {
    assert.equal(message.tags, 'paid');
    assert.deepEqual(message.keys, [produced.key, 'other']);
    assert.equal(message.topic, TOPIC);
  }
  return consumed;
}

async function checkStatusAndProgress(namesrv: readonly string[], produced: Produced): Promise<void> {
  const status = JSON.parse(await ok(['topic', 'status', TOPIC, '--json', ...namesrv])) as {
    queues: { queueId: number; minOffset: number; maxOffset: number }[];
  };
  assert.equal(status.queues.length, QUEUES);
  for (const queue of status.queues) {
    const sentThere = produced.sent.filter((s) => s.queueId === queue.queueId).length;
    assert.equal(queue.maxOffset, sentThere, `max offset of queue ${queue.queueId}`);
  }
  const table = await ok(['topic', 'status', TOPIC, ...namesrv]);
  assert.match(table, /^BROKER +QUEUE +MIN OFFSET +MAX OFFSET +LAST UPDATED\n/);

  const progressOutput = await ok(['group', 'progress', GROUP, '--topic', TOPIC, '--json', ...namesrv]);
  const progress = JSON.parse(progressOutput) as {
    queues: { brokerOffset: number; consumerOffset: number; lag: number }[];
    totalLag: number;
  };
  assert.equal(progress.totalLag, 0);
  assert.equal(
    progress.queues.reduce((sum, queue) => sum + queue.consumerOffset, 0),
    MESSAGE_COUNT,
  );
  assert.match(await ok(['group', 'progress', GROUP, ...namesrv]), /\nTotal lag: 0\n$/);
}

async function checkLookups(
  server: Server,
  namesrv: readonly string[],
  produced: Produced,
  first: Record<string, unknown>,
): Promise<void> {
  const byIdOutput = await ok(['message', '--id', String(first.msgId), '--topic', TOPIC, '--json', ...namesrv]);
  const byId = jsonLines(byIdOutput);
  assert.equal(byId.length, 1);
  assert.equal(byId[0]!.body, first.body);
  assert.equal(byId[0]!.storeHost, `127.0.0.1:${server.brokerPort}`);
  const byOffsetId = await ok(['message', '--id', String(first.offsetMsgId), ...namesrv]);
  assert.match(byOffsetId, new RegExp(`^Topic: +${TOPIC}$`, 'm'));
  assert.ok(byOffsetId.includes(`Body:              ${String(first.body)}`), byOffsetId);
  const byKey = jsonLines(await ok(['message', '--key', produced.key, '--topic', TOPIC, '--json', ...namesrv]));
  assert.deepEqual(byKey.map((m) => m.body).sort(), [...produced.bodies].sort());
}

/** Exit after --count used to wait 10 s for the message fetched past the last one. */
const COUNT_EXIT_MS_MAX = 3000;
const IDLE_EXIT_MS = 500;

/** `consume --count 1` over a backlog of 3 exits promptly after printing the one message. */
async function checkPromptCountExit(namesrv: readonly string[]): Promise<void> {
  const args = ['consume', '--topic', TOPIC, '--group', 'cli-prompt', '--from', 'first', '--count', '1', ...namesrv];
  const cli = new CliProcess(args, environment());
  let printedAt = 0;
  try {
    await cli.waitFor('the first message', COMMAND_TIMEOUT_MS, () => (cli.stdout.includes('\n') ? true : undefined));
    printedAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), COUNT_EXIT_MS_MAX)));
    const outcome = await Promise.race([cli.exited, late]);
    clearTimeout(timer);
    assert.notEqual(outcome, 'late', `consume --count 1 still running ${COUNT_EXIT_MS_MAX} ms after its message`);
  } finally {
    await cli.stop('SIGKILL', 0);
  }
  const exit = await cli.exited;
  assert.deepEqual(exit, { code: 0, signal: null }, cli.stderr);
  console.log(`  consume --count 1 exited ${Date.now() - printedAt} ms after its message`);
}

/** A group with no offsets, consumed without --from, hears on stderr that it starts at the end. */
async function checkNewGroupNotice(namesrv: readonly string[]): Promise<void> {
  const args = ['consume', '--topic', TOPIC, '--group', 'cli-newcomer', '--timeout-ms', String(IDLE_EXIT_MS)];
  const result = await runCli([...args, ...namesrv]);
  assert.equal(result.code, 0, result.stderr);
  // The topic is young (its first messages still in memory), so by RocketMQ's rule a new group
  // reads it from the start even without --from first.
  assert.equal(result.stdout.trim().split('\n').length, MESSAGE_COUNT, 'a new group reads a young topic whole');
  assert.match(result.stderr, /group cli-newcomer has no committed offsets in CliOrders: starting from the last/);
  assert.match(result.stderr, /RocketMQ's rule\); use --from first to read the whole backlog/);
  // A group that has offsets is not told.
  const known = await runCli([
    'consume',
    '--topic',
    TOPIC,
    '--group',
    GROUP,
    '--timeout-ms',
    String(IDLE_EXIT_MS),
    ...namesrv,
  ]);
  assert.equal(known.code, 0, known.stderr);
  assert.equal(known.stderr, '');
}

/** A consumer without --count runs until SIGINT, then commits what it printed. */
async function checkInterruptedConsumer(namesrv: readonly string[], produced: Produced): Promise<void> {
  const tailArgs = ['consume', '--topic', TOPIC, '--group', INTERRUPTED_GROUP, '--from', 'first', ...namesrv];
  const tail = new CliProcess(tailArgs, environment());
  let tailExit: Exit;
  try {
    const printedAll = (): true | undefined => tail.stdout.split('\n').length > MESSAGE_COUNT || undefined;
    await tail.waitFor('3 messages', COMMAND_TIMEOUT_MS, printedAll);
  } finally {
    tailExit = await tail.stop('SIGINT', STOP_DEADLINE_MS);
  }
  assert.deepEqual(tailExit, { code: 0, signal: null }, tail.stderr);
  const firstLine = `msgId=${produced.sent[0]!.msgId} tags=paid keys=${produced.key},other body=${produced.bodies[0]}`;
  assert.ok(tail.stdout.split('\n').includes(firstLine), tail.stdout);
  assert.match(await ok(['group', 'progress', INTERRUPTED_GROUP, '--topic', TOPIC, ...namesrv]), /\nTotal lag: 0\n$/);
}

async function checkMissing(namesrv: readonly string[], produced: Produced): Promise<void> {
  const missing = /^tributary: topic 'CliMissing' does not exist$/m;
  await Promise.all([
    fails(['topic', 'status', 'CliMissing', ...namesrv], 1, missing),
    fails(['produce', '--topic', 'CliMissing', '--body', 'x', ...namesrv], 1, missing),
    fails(['consume', '--topic', 'CliMissing', '--group', GROUP, ...namesrv], 1, missing),
    fails(['message', '--key', produced.key, '--topic', 'CliMissing', ...namesrv], 1, missing),
    fails(['message', '--key', 'no-such-key', '--topic', TOPIC, ...namesrv], 1, /no message with key 'no-such-key'/),
  ]);
}

test('cli: start, create, produce, consume, status, progress, lookups, errors, clean stop', async () => {
  const random = seededRandom('cli');
  const directory = temporaryDirectory('cli');
  let server: Server | undefined;
  try {
    server = await startServer(directory.path);
    const namesrv = ['--namesrv', server.nameServer];
    const produced = await createAndProduce(server, namesrv, random);
    const consumed = await consumeAll(namesrv, produced);
    await checkStatusAndProgress(namesrv, produced);
    await checkPromptCountExit(namesrv);
    await checkNewGroupNotice(namesrv);
    await checkLookups(server, namesrv, produced, consumed[0]!);
    await checkInterruptedConsumer(namesrv, produced);
    await checkMissing(namesrv, produced);
    const exit = await server.cli.stop('SIGINT', STOP_DEADLINE_MS);
    assert.deepEqual(exit, { code: 0, signal: null }, server.cli.stderr);
    assert.match(server.cli.stderr, /stopped cleanly/);
  } finally {
    await server?.cli.stop('SIGKILL', 0);
    directory.remove();
  }
});

test.run();
