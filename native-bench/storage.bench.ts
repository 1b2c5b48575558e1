// `npm run bench:storage`: runs every trial of trials.ts, each in its own process and its own
// fresh temp directory (removed afterwards), then saves results/storage-<timestamp>.json and
// results/latest.json and prints a summary with each figure's durability mode beside it.
//
//   node dist/native-bench/storage.bench.js [--only id-or-group[,..]] [--rounds N] [--quick]
//                                          [--list] [--profile trial-id] [--no-save]
//
// --only      run trials whose id or group starts with one of the given prefixes
// --rounds N  run the whole selection N times, interleaved (round 1 of every trial, then
//             round 2, ...); each trial reports its median round, and each ratio is the median
//             of the per-round ratios, so load drifting on a shared machine hits both sides
// --quick     shorter sampling and smaller fills (smoke test; figures are not comparable)
// --profile   run one trial under `node --cpu-prof` and print its top self-time functions
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

import { gitOutput, installedVersion, machine } from '../bench/run-environment.js';
import { goalMet, ratios, summaryText, type Ratio } from './lib/trial-summary.js';
import { topSelfTime } from './lib/profile.js';
import { REPOSITORY_ROOT, RESULTS_DIRECTORY } from './lib/results-directory.js';
import { saveResultsFile } from '../bench/results-file.js';
import type { Params, TrialDefinition, TrialResult } from './lib/trial-types.js';
import type { ChildMessage } from './trial-child.js';
import { TRIALS, findTrial } from './trials.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, 'trial-child.js');
const ROOT = REPOSITORY_ROOT;
const RESULTS = RESULTS_DIRECTORY;
const DEFAULT_TIMEOUT_MS = 5 * 60_000;
/** Refuse to start with less free space than this in the temp directory. */
const FREE_BYTES_MIN = 8 * 1024 ** 3;

const QUICK: Params = {
  maxTime: 0.5,
  minSamples: 2,
  minTime: 0.05,
  durationMs: 1500,
  warmupMs: 300,
  messages: 320_000,
  fillBytes: 512 * 1024 ** 2,
  segments: 3,
};

interface Options {
  only: string[];
  rounds: number;
  quick: boolean;
  list: boolean;
  profile: string | undefined;
  save: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { only: [], rounds: 1, quick: false, list: false, profile: undefined, save: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--only') options.only.push(...(argv[++i] ?? '').split(',').filter(Boolean));
    else if (arg === '--quick') options.quick = true;
    else if (arg === '--rounds') options.rounds = Math.max(1, Number.parseInt(argv[++i] ?? '1', 10) || 1);
    else if (arg === '--list') options.list = true;
    else if (arg === '--profile') options.profile = argv[++i];
    else if (arg === '--no-save') options.save = false;
    else throw new Error(`unknown argument ${arg}`);
  }
  return options;
}

function overridesFor(trial: TrialDefinition, quick: boolean): Params {
  if (!quick) return {};
  return Object.fromEntries(Object.entries(QUICK).filter(([key]) => key in trial.params));
}

interface ChildRun {
  message: ChildMessage;
  elapsedMs: number;
}

function runChild(trial: TrialDefinition, overrides: Params, execArgv: string[] = []): Promise<ChildRun> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), `tributary-bench-${trial.id}-`));
  const started = performance.now();
  return new Promise<ChildRun>((resolve) => {
    const child = fork(CHILD, [trial.id, directory, JSON.stringify(overrides)], {
      execArgv,
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    // benny prints progress on stdout; keep the orchestrator's output readable.
    child.stdout?.resume();
    let message: ChildMessage | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), trial.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.on('message', (m: ChildMessage) => {
      message = m;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      fs.rmSync(directory, { recursive: true, force: true });
      resolve({
        message: message ?? {
          ok: false,
          error: `trial process exited (code ${code}, signal ${signal}) without a result`,
        },
        elapsedMs: performance.now() - started,
      });
    });
  });
}

function toResult(trial: TrialDefinition, overrides: Params, run: ChildRun): TrialResult {
  const base = {
    id: trial.id,
    group: trial.group,
    title: trial.title,
    engine: trial.engine,
    durability: trial.durability,
    params: { ...trial.params, ...overrides },
    headline: trial.headline,
    elapsedMs: Math.round(run.elapsedMs),
  };
  if (!run.message.ok) return { ...base, metrics: {}, error: run.message.error };
  const metrics = run.message.output.metrics;
  return {
    ...base,
    metrics,
    ...(run.message.output.details ? { details: run.message.output.details } : {}),
    ...(trial.goals ? { goals: trial.goals.map((goal) => ({ ...goal, met: goalMet(goal, metrics) })) } : {}),
  };
}

function environment(): Record<string, unknown> {
  return {
    ...machine(),
    loadAverage: os.loadavg(),
    tmpdir: os.tmpdir(),
    gitCommit: gitOutput(['rev-parse', 'HEAD']),
    gitDirty: (gitOutput(['status', '--porcelain', '--', 'storage']) ?? '') !== '',
    versions: {
      lmdb: installedVersion('lmdb'),
      'better-sqlite3': installedVersion('better-sqlite3'),
      benny: installedVersion('benny'),
    },
  };
}

function checkFreeSpace(): void {
  const stats = fs.statfsSync(os.tmpdir());
  const free = stats.bavail * stats.bsize;
  if (free < FREE_BYTES_MIN) {
    throw new Error(
      `only ${(free / 1024 ** 3).toFixed(1)} GiB free in ${os.tmpdir()}; need ${FREE_BYTES_MIN / 1024 ** 3} GiB`,
    );
  }
}

async function profile(id: string, quick: boolean): Promise<void> {
  const trial = findTrial(id);
  const directory = path.join(RESULTS, 'profiles');
  fs.mkdirSync(directory, { recursive: true });
  const before = new Set(fs.readdirSync(directory));
  const overrides = overridesFor(trial, quick);
  const run = await runChild(trial, overrides, ['--cpu-prof', '--cpu-prof-dir', directory]);
  const result = toResult(trial, overrides, run);
  const created = fs.readdirSync(directory).filter((f) => f.endsWith('.cpuprofile') && !before.has(f));
  const file = created
    .map((f) => path.join(directory, f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
  if (file === undefined) throw new Error('no .cpuprofile was written');
  const top = topSelfTime(file, ROOT, 30);
  console.log(summaryText([result], []));
  console.log(`\nTop self time, ${trial.id} (${top.totalMs} ms sampled; profile ${path.relative(ROOT, file)}):`);
  for (const row of top.rows) {
    console.log(
      `  ${row.selfPercent.toFixed(1).padStart(5)}%  ${row.selfMs.toFixed(1).padStart(8)} ms  ${row.function}  ${row.location}`,
    );
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = path.join(RESULTS, `profile-${trial.id}-${stamp}.json`);
  fs.writeFileSync(
    out,
    JSON.stringify(
      { date: new Date().toISOString(), trial: result, profile: path.relative(ROOT, file), ...top },
      null,
      2,
    ) + '\n',
  );
  console.log(`\nsaved ${path.relative(ROOT, out)}`);
}

/** The round whose headline is the median (lower median for even counts), with every round's headline. */
function medianRound(results: TrialResult[]): TrialResult {
  const ok = results.filter((r) => r.error === undefined && r.metrics[r.headline] !== undefined);
  if (ok.length === 0) return results[0]!;
  const sorted = [...ok].sort((a, b) => a.metrics[a.headline]! - b.metrics[b.headline]!);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  if (results.length === 1) return median;
  return { ...median, rounds: results.map((r) => (r.error === undefined ? (r.metrics[r.headline] ?? null) : null)) };
}

/** Per-round ratios (same round = same machine conditions), reported as their median and range. */
function medianRatios(selected: readonly TrialDefinition[], rounds: TrialResult[][]): Ratio[] {
  const perRound = rounds.map((results) => ratios(selected, results));
  const first = perRound[0] ?? [];
  return first.map((ratio) => {
    const values = perRound
      .map((list) => list.find((r) => r.peer === ratio.peer)?.ratio)
      .filter((v): v is number => v !== undefined)
      .sort((a, b) => a - b);
    const median = values[Math.floor((values.length - 1) / 2)] ?? ratio.ratio;
    return values.length > 1
      ? { ...ratio, ratio: median, perRound: values, min: values[0]!, max: values.at(-1)! }
      : ratio;
  });
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.list) {
    for (const trial of TRIALS) console.log(`${trial.id.padEnd(36)} ${trial.group.padEnd(20)} ${trial.title}`);
    return;
  }
  checkFreeSpace();
  if (options.profile !== undefined) return profile(options.profile, options.quick);
  const selected = TRIALS.filter(
    (t) => options.only.length === 0 || options.only.some((p) => t.id.startsWith(p) || t.group.startsWith(p)),
  );
  if (selected.length === 0) throw new Error(`no trial matches ${options.only.join(', ')}`);
  const started = new Date();
  const rounds: TrialResult[][] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const results: TrialResult[] = [];
    for (const trial of selected) {
      process.stdout.write(
        `${options.rounds > 1 ? `[round ${round}/${options.rounds}] ` : ''}running ${trial.id} ... `,
      );
      const overrides = overridesFor(trial, options.quick);
      const result = toResult(trial, overrides, await runChild(trial, overrides));
      results.push(result);
      const headline = result.metrics[result.headline];
      console.log(
        result.error !== undefined
          ? 'FAILED'
          : `${result.headline}=${headline?.toExponential(3)} (${(result.elapsedMs / 1000).toFixed(1)} s)`,
      );
    }
    rounds.push(results);
  }
  const results = selected.map((_, i) => medianRound(rounds.map((r) => r[i]!)));
  const ratioList = medianRatios(selected, rounds);
  const document = {
    date: started.toISOString(),
    command: `node dist/native-bench/storage.bench.js ${process.argv.slice(2).join(' ')}`.trim(),
    quick: options.quick,
    rounds: options.rounds,
    environment: environment(),
    trials: results,
    ratios: ratioList,
  };
  console.log(summaryText(results, ratioList));
  if (options.save) {
    const file = saveResultsFile(
      { directory: RESULTS, name: 'storage', startedAt: started, latestName: 'latest.json' },
      document,
    );
    console.log(`\nsaved ${path.relative(ROOT, file)} and native-bench/results/latest.json`);
  }
  if (results.some((r) => r.error !== undefined)) process.exitCode = 1;
}

await main();
