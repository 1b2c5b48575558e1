// `tributary bench` end to end, as a person or a script runs it: each run is its own process
// (`node bin/tributary.js bench ...`) that starts its own broker in a child process, in a
// temporary directory, with small segments. Tiny runs: these check the output contract (the
// per-second line, the JSON summary's fields, exit status), not performance.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';

/** dist/test/integration/bench-cli.test.js -> bin/tributary.js at the repository root. */
const CLI_SCRIPT = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));
const RUN_TIMEOUT_MS = 30_000;
/** Small segments: the default 1 GiB would be preheated for a few thousand messages. */
const SMALL_BROKER = ['--segment-mb', '8'];

/**
 * The once-a-second line: label, elapsed, progress bar and percent, msgs/s, MB/s, latency
 * (avg, p99, max), failures, flush mode (cli/bench/bench-line.ts; tests may not import cli/).
 */
const LINE_PATTERN =
  /^(produce|consume|fill|e2e)( \(warmup\))?\s+\d+\.\ds \[[#-]{10}\]\s+\d+%\s+[\d,]+ msgs\/s\s+\d+\.\d\d MB\/s {2}latency ms avg \d+\.\d+ p99 \d+\.\d+ max \d+\.\d+ {2}failed \d+ .*flush (async|sync)$/m;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function bench(args: readonly string[]): Promise<Run> {
  const env = { ...process.env };
  delete env.TRIBUTARY_NAMESRV;
  const child = spawn(process.execPath, [CLI_SCRIPT, 'bench', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

type Json = Record<string, unknown>;

function field(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split('.')) {
    assert.ok(current !== null && typeof current === 'object', `${path}: no object at '${key}'`);
    current = (current as Json)[key];
  }
  return current;
}

function expectNumber(summary: Json, path: string): number {
  const value = field(summary, path);
  assert.equal(typeof value, 'number', `${path} is ${JSON.stringify(value)}, not a number`);
  assert.ok(Number.isFinite(value as number), `${path} is not finite`);
  return value as number;
}

function parseSummary(run: Run, what: string): Json {
  assert.equal(run.code, 0, `${what} exited ${run.code}:\n${run.stderr}`);
  const lines = run.stdout.trim().split('\n');
  assert.equal(lines.length, 1, `${what}: stdout is not one JSON line:\n${run.stdout}`);
  return JSON.parse(lines[0]!) as Json;
}

const LATENCY_FIELDS = ['avgMs', 'p50Ms', 'p95Ms', 'p99Ms', 'p999Ms', 'maxMs'];

test('bench-cli: produce --count 2000 --json prints per-second lines on stderr and a full JSON summary', async () => {
  const run = await bench(['produce', '--count', '2000', '--warmup-s', '0', '--json', ...SMALL_BROKER]);
  const summary = parseSummary(run, 'bench produce');
  assert.match(run.stderr, LINE_PATTERN, `no per-second line on stderr:\n${run.stderr}`);
  assert.equal(summary.tool, 'tributary bench');
  assert.equal(summary.kind, 'produce');
  assert.match(String(summary.durability), /^ASYNC_FLUSH/);
  assert.equal(field(summary, 'settings.flush'), 'async');
  assert.equal(field(summary, 'settings.messageBytes'), 100);
  assert.equal(expectNumber(summary, 'result.messages'), 2000);
  assert.equal(expectNumber(summary, 'result.failures'), 0);
  assert.ok(expectNumber(summary, 'result.msgsPerSec') > 0);
  assert.ok(expectNumber(summary, 'result.mbPerSec') > 0);
  for (const name of LATENCY_FIELDS) expectNumber(summary, `result.latencyMs.${name}`);
  assert.equal(field(summary, 'broker.external'), false);
  for (const side of ['broker.report.process', 'client']) {
    expectNumber(summary, `${side}.eventLoopDelayMs.p99`);
    expectNumber(summary, `${side}.cpuPercent`);
  }
  assert.ok(Array.isArray(summary.intervals) && summary.intervals.length >= 1, 'no interval records');
});

test('bench-cli: produce without --json prints the lines and a summary with percentiles on stdout', async () => {
  const run = await bench(['produce', '--count', '500', '--warmup-s', '0', '--in-flight', '1', ...SMALL_BROKER]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, LINE_PATTERN);
  assert.match(run.stdout, /^produce summary: 500 messages of 100 B in [\d.]+ s: [\d,]+ msgs\/s/m);
  assert.match(run.stdout, /p50 [\d.]+ {2}p95 [\d.]+ {2}p99 [\d.]+ {2}p99\.9 [\d.]+ {2}max [\d.]+/);
  assert.match(run.stdout, /broker \(child pid \d+\): event loop delay ms p50 [\d.]+ p99 [\d.]+/);
});

test('bench-cli: consume drains the backlog it filled; e2e at a fixed rate loses nothing', async () => {
  const consume = parseSummary(await bench(['consume', '--count', '3000', '--json', ...SMALL_BROKER]), 'bench consume');
  assert.equal(expectNumber(consume, 'result.messages'), 3000);
  assert.equal(expectNumber(consume, 'phases.fill.messages'), 3000);
  const e2e = parseSummary(
    await bench(['e2e', '--duration-s', '1', '--warmup-s', '0', '--rate', '500', '--json', ...SMALL_BROKER]),
    'bench e2e',
  );
  assert.ok(expectNumber(e2e, 'result.messages') > 0);
  assert.equal(expectNumber(e2e, 'details.lost'), 0);
  assert.equal(expectNumber(e2e, 'details.duplicates'), 0);
  for (const name of LATENCY_FIELDS) expectNumber(e2e, `result.latencyMs.${name}`);
});

test('bench-cli: usage mistakes exit 2 with one line', async () => {
  const both = await bench(['produce', '--count', '10', '--duration-s', '1']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /^tributary: give --count or --duration-s, not both/);
  const tiny = await bench(['e2e', '--size', '4']);
  assert.equal(tiny.code, 2);
  assert.match(tiny.stderr, /^tributary: --size must be at least 8/);
});

test.run();
