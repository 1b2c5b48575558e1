// `npm run bench:e2e`: the messaging benchmarks of e2e-trials.ts with the issue's goals. Each
// trial is one `tributary bench ... --json` process (which starts its own broker in a child
// process and removes its data afterwards); its per-second lines stream to this terminal, its
// JSON summary is collected. Saves results/e2e-<ISO timestamp>.json and results/e2e-latest.json.
//
//   node dist/native-bench/e2e.bench.js [--only id-or-prefix[,..]] [--rounds N] [--quick]
//                                       [--profile] [--list] [--no-save]
//
// --only     trials whose id starts with one of the prefixes (optional variants run only so)
// --rounds N the selection N times, interleaved; each trial reports its median round
// --quick    3 s runs and a 200,000-message backlog (smoke test; figures not comparable)
// --profile  CPU and heap profiles of the measured phase, client and broker, for each trial:
//            written to results/profiles/ (git-ignored), top entries printed and saved
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { dirtyFileCount, gitOutput, machine } from '../bench/run-environment.js';
import { E2E_TRIALS, type E2eGoal, type E2eTrial } from './e2e-trials.js';
import { topAllocations } from './lib/heap-profile.js';
import { topSelfTime } from './lib/profile.js';
import { REPOSITORY_ROOT, RESULTS_DIRECTORY } from './lib/results-directory.js';
import { saveResultsFile } from '../bench/results-file.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = REPOSITORY_ROOT;
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const TCP_FLOOR = path.join(here, 'tcp-floor.js');
const PROFILES = path.join(RESULTS_DIRECTORY, 'profiles');
/** A trial is killed after this long. */
const TRIAL_TIMEOUT_MS = 10 * 60_000;
const PROFILE_ROWS = 25;

interface Options {
  only: string[];
  rounds: number;
  quick: boolean;
  profile: boolean;
  list: boolean;
  save: boolean;
}

type Summary = Record<string, unknown>;

interface GoalResult extends E2eGoal {
  readonly actual: number | undefined;
  readonly met: boolean | undefined;
}

interface TrialOutcome {
  readonly id: string;
  readonly title: string;
  readonly command: string;
  readonly headline: string;
  /** Headline of every round, in order (null: the round failed). */
  readonly rounds: (number | null)[];
  /** The median round's summary. */
  readonly summary: Summary | undefined;
  readonly goals: readonly GoalResult[];
  readonly error?: string;
  readonly profiles?: Record<string, unknown>;
  /** Headline / floor metric, per round (same round: same machine conditions), and their median. */
  readonly floorRatio?: {
    readonly floor: string;
    readonly perRound: (number | null)[];
    readonly median: number | null;
  };
}

function parseArgs(argv: string[]): Options {
  const options: Options = { only: [], rounds: 1, quick: false, profile: false, list: false, save: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--only') options.only.push(...(argv[++i] ?? '').split(',').filter(Boolean));
    else if (arg === '--rounds') options.rounds = Math.max(1, Number.parseInt(argv[++i] ?? '1', 10) || 1);
    else if (arg === '--quick') options.quick = true;
    else if (arg === '--profile') options.profile = true;
    else if (arg === '--list') options.list = true;
    else if (arg === '--no-save') options.save = false;
    else throw new Error(`unknown argument ${arg}`);
  }
  return options;
}

function metricOf(summary: Summary | undefined, metric: string): number | undefined {
  let value: unknown = summary;
  for (const key of metric.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === 'number' ? value : undefined;
}

/** The command line of a trial: node and its arguments. */
function commandFor(trial: E2eTrial, options: Options): string[] {
  const args = [...(options.quick ? trial.quickArgs : trial.args), '--json'];
  if (trial.runner === 'tcp-floor') return [TCP_FLOOR, ...args];
  if (options.profile) args.push('--profile', PROFILES);
  return [CLI, 'bench', ...args];
}

/** Runs one trial; its progress lines go to this terminal, its summary comes back. */
function runTrial(command: readonly string[]): Promise<{ summary?: Summary; error?: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, command, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), TRIAL_TIMEOUT_MS);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return resolve({ error: `exited with ${signal ?? `status ${code}`}` });
      try {
        resolve({ summary: JSON.parse(stdout.trim().split('\n').at(-1)!) as Summary });
      } catch (error) {
        resolve({ error: `unreadable summary: ${String(error)}` });
      }
    });
  });
}

function goalResults(trial: E2eTrial, summary: Summary | undefined): GoalResult[] {
  return trial.goals.map((goal) => {
    const actual = metricOf(summary, goal.metric);
    const met = actual === undefined ? undefined : goal.op === '>=' ? actual >= goal.value : actual < goal.value;
    return { ...goal, actual, met };
  });
}

/** Top self time and allocations of each profile the summary names. */
function profileTops(summary: Summary | undefined): Record<string, unknown> | undefined {
  const profiles = summary?.profiles as Record<string, { cpuProfile: string; heapProfile: string }> | undefined;
  if (profiles === undefined) return undefined;
  const tops: Record<string, unknown> = {};
  for (const [side, files] of Object.entries(profiles)) {
    tops[side] = {
      cpuProfile: path.relative(ROOT, files.cpuProfile),
      heapProfile: path.relative(ROOT, files.heapProfile),
      selfTime: topSelfTime(files.cpuProfile, ROOT, PROFILE_ROWS),
      allocations: topAllocations(files.heapProfile, ROOT, PROFILE_ROWS),
    };
  }
  return tops;
}

function median(trial: E2eTrial, runs: { summary?: Summary; error?: string }[]): TrialOutcome {
  const ok = runs.filter((run) => metricOf(run.summary, trial.headline) !== undefined);
  const sorted = [...ok].sort((a, b) => metricOf(a.summary, trial.headline)! - metricOf(b.summary, trial.headline)!);
  const chosen = sorted[Math.floor((sorted.length - 1) / 2)];
  return {
    id: trial.id,
    title: trial.title,
    command:
      trial.runner === 'tcp-floor'
        ? `node dist/native-bench/tcp-floor.js ${trial.args.join(' ')}`
        : `tributary bench ${trial.args.join(' ')}`,
    headline: trial.headline,
    rounds: runs.map((run) => metricOf(run.summary, trial.headline) ?? null),
    summary: chosen?.summary,
    goals: goalResults(trial, chosen?.summary),
    ...(chosen === undefined ? { error: runs.find((run) => run.error)?.error ?? 'no result' } : {}),
    ...(chosen?.summary?.profiles === undefined ? {} : { profiles: profileTops(chosen.summary) }),
  };
}

/** Each round's headline over the floor's metric in the same round, and their median. */
function floorRatio(
  trial: E2eTrial,
  runs: readonly { summary?: Summary }[],
  floorRuns: readonly { summary?: Summary }[] | undefined,
): TrialOutcome['floorRatio'] {
  if (trial.floor === undefined || floorRuns === undefined) return undefined;
  const perRound = runs.map((run, round) => {
    const value = metricOf(run.summary, trial.headline);
    const floor = metricOf(floorRuns[round]?.summary, trial.floor!.metric);
    return value === undefined || floor === undefined || floor === 0 ? null : value / floor;
  });
  const sorted = perRound.filter((ratio): ratio is number => ratio !== null).sort((a, b) => a - b);
  const median = sorted.length === 0 ? null : sorted[Math.floor((sorted.length - 1) / 2)]!;
  return { floor: `${trial.floor.trial} ${trial.floor.metric}`, perRound, median };
}

function environment(): Record<string, unknown> {
  return {
    ...machine(),
    loadAverageAtStart: os.loadavg(),
    gitCommit: gitOutput(['rev-parse', 'HEAD']),
    gitDirtyFiles: dirtyFileCount(),
  };
}

function format(value: number | undefined, metric: string): string {
  if (value === undefined) return '-';
  if (metric.endsWith('msgsPerSec') || metric.endsWith('MsgsPerSec'))
    return `${Math.round(value).toLocaleString('en-US')} msgs/s`;
  if (metric.endsWith('PerSec')) return `${Math.round(value).toLocaleString('en-US')} /s`;
  return `${value.toFixed(3)} ms`;
}

function report(outcomes: readonly TrialOutcome[]): string {
  const lines = ['', 'Messaging benchmarks (median round; durability mode per trial):'];
  for (const outcome of outcomes) {
    const summary = outcome.summary;
    const latency = summary?.result as { latencyMs?: Record<string, number> } | undefined;
    const l = latency?.latencyMs;
    const flush = (summary?.settings as { flush?: string } | undefined)?.flush ?? '?';
    lines.push(
      `  ${outcome.id}: ${outcome.error ?? format(metricOf(summary, outcome.headline), outcome.headline)}` +
        `  [flush ${flush}]` +
        (outcome.rounds.length > 1
          ? `  rounds ${outcome.rounds.map((r) => format(r ?? undefined, outcome.headline)).join(' / ')}`
          : ''),
    );
    if (summary?.tool === 'tcp-floor') {
      lines.push(
        `      ping-pong ${format(metricOf(summary, 'result.pingPongRoundTripsPerSec'), 'PerSec')} round trips ` +
          `(${metricOf(summary, 'result.pingPongRoundTripUs')?.toFixed(1)} us each); ` +
          `batched ${format(metricOf(summary, 'result.batchedMsgsPerSec'), 'msgsPerSec')}`,
      );
    }
    if (l !== undefined) {
      lines.push(
        `      msgs/s ${format(metricOf(summary, 'result.msgsPerSec'), 'msgsPerSec')}; latency ms p50 ${l.p50Ms?.toFixed(3)} ` +
          `p95 ${l.p95Ms?.toFixed(3)} p99 ${l.p99Ms?.toFixed(3)} p99.9 ${l.p999Ms?.toFixed(3)} max ${l.maxMs?.toFixed(3)}; ` +
          `broker loop p99 ${metricOf(summary, 'broker.report.process.eventLoopDelayMs.p99')?.toFixed(3)} ms, ` +
          `broker CPU ${Math.round(metricOf(summary, 'broker.report.process.cpuPercent') ?? 0)}%, ` +
          `client CPU ${Math.round(metricOf(summary, 'client.cpuPercent') ?? 0)}%`,
        `      CPU us per message: client ${metricOf(summary, 'cpuCost.clientUsPerMessage')?.toFixed(2)}, ` +
          `broker ${metricOf(summary, 'cpuCost.brokerUsPerMessage')?.toFixed(2)} ` +
          `(one core each: ~${format(metricOf(summary, 'cpuCost.ceilingMsgsPerSec'), 'msgsPerSec')})`,
      );
    }
    const ratio = outcome.floorRatio;
    if (ratio !== undefined && ratio.median !== null) {
      const rounds = ratio.perRound.map((r) => (r === null ? '-' : r.toFixed(3))).join(' / ');
      lines.push(`      vs floor (${ratio.floor}, same round): ${ratio.median.toFixed(3)}x  [rounds ${rounds}]`);
    }
    for (const goal of outcome.goals) {
      const mark = goal.met === undefined ? '?' : goal.met ? 'MET' : 'MISSED';
      lines.push(`      goal ${goal.label}: ${format(goal.actual, goal.metric)} ${mark}`);
    }
  }
  return lines.join('\n');
}

function printProfiles(outcome: TrialOutcome): void {
  for (const [side, top] of Object.entries(outcome.profiles ?? {})) {
    const { selfTime, allocations } = top as {
      selfTime: ReturnType<typeof topSelfTime>;
      allocations: ReturnType<typeof topAllocations>;
    };
    console.log(`\n${outcome.id} ${side}: top self time (${selfTime.totalMs} ms sampled)`);
    for (const row of selfTime.rows) {
      console.log(`  ${row.selfPercent.toFixed(1).padStart(5)}%  ${row.function}  ${row.location}`);
    }
    console.log(
      `${outcome.id} ${side}: top allocations (${(allocations.totalBytes / 2 ** 20).toFixed(1)} MiB sampled)`,
    );
    for (const row of allocations.rows) {
      console.log(`  ${row.percent.toFixed(1).padStart(5)}%  ${row.function}  ${row.location}`);
    }
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.list) {
    for (const trial of E2E_TRIALS)
      console.log(`${trial.id.padEnd(34)} ${trial.optional ? '(optional) ' : ''}${trial.title}`);
    return;
  }
  const chosen = E2E_TRIALS.filter((trial) =>
    options.only.length === 0 ? trial.optional !== true : options.only.some((prefix) => trial.id.startsWith(prefix)),
  );
  // The floors the chosen trials are set against run in the same rounds.
  const floors = new Set(chosen.flatMap((trial) => (trial.floor === undefined ? [] : [trial.floor.trial])));
  const selected = E2E_TRIALS.filter((trial) => chosen.includes(trial) || floors.has(trial.id));
  if (selected.length === 0) throw new Error(`no trial matches ${options.only.join(', ')}`);
  if (options.profile) fs.mkdirSync(PROFILES, { recursive: true });
  const started = new Date();
  const env = environment();
  const runs = selected.map((): { summary?: Summary; error?: string }[] => []);
  for (let round = 1; round <= options.rounds; round++) {
    for (const [i, trial] of selected.entries()) {
      console.error(
        `\n== ${options.rounds > 1 ? `[round ${round}/${options.rounds}] ` : ''}${trial.id}: ${trial.title}`,
      );
      runs[i]!.push(await runTrial(commandFor(trial, options)));
    }
  }
  const runsOf = (id: string): { summary?: Summary }[] | undefined => runs[selected.findIndex((t) => t.id === id)];
  const outcomes = selected.map((trial, i) => ({
    ...median(trial, runs[i]!),
    ...(trial.floor === undefined ? {} : { floorRatio: floorRatio(trial, runs[i]!, runsOf(trial.floor.trial)) }),
  }));
  console.log(report(outcomes));
  for (const outcome of outcomes) printProfiles(outcome);
  const document = {
    date: started.toISOString(),
    command: `node dist/native-bench/e2e.bench.js ${process.argv.slice(2).join(' ')}`.trim(),
    quick: options.quick,
    rounds: options.rounds,
    environment: { ...env, loadAverageAtEnd: os.loadavg() },
    trials: outcomes,
  };
  if (options.save) {
    const file = saveResultsFile(
      { directory: RESULTS_DIRECTORY, name: 'e2e', startedAt: started, latestName: 'e2e-latest.json' },
      document,
    );
    console.log(`\nsaved ${path.relative(ROOT, file)} and native-bench/results/e2e-latest.json`);
  }
  if (outcomes.some((outcome) => outcome.error !== undefined)) process.exitCode = 1;
}

await main();
