// `npm run bench:peers`: Tributary side by side with Redis Streams and NATS JetStream, the
// same workloads (peers-trials.ts) in the same process sequence: this orchestrator starts one
// process per run, which starts its server as its own child (Tributary's broker, redis-server,
// nats-server) in a fresh temporary directory and stops it afterwards. Rounds alternate the
// systems (round r starts at system r), so drifting load on a shared machine hits all three.
// Saves results/peers-<ISO timestamp>.json and results/peers-latest.json;
// `npm run bench:report` renders them.
//
//   node dist/native-bench/peers.bench.js [--rounds N (3; 1 with --quick)] [--quick] [--only id[,id]] [--no-save]
//
// Nothing is installed: a missing redis-server or nats-server is reported with the command
// that installs it, and that peer is skipped.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { dirtyFileCount, gitOutput, installedVersion, machine } from '../bench/run-environment.js';
import {
  FULL_PLAN,
  PEER_GOALS,
  PEER_WORKLOADS,
  QUICK_PLAN,
  SYSTEM_NAMES,
  systemRuns,
  type PeerSystem,
  type SystemRun,
  type WorkloadSpec,
} from './peers-trials.js';
import { detectPeers, skipReason, type PeerAvailability } from './peers/peer-availability.js';
import { figureOf, headlineOf, medianOf, type PeerFigure } from './peers/peer-figure.js';
import { evaluateGoal, type GoalOutcome } from './peers/peer-goals.js';
import type { PeersDocument, PeersSystemEntry } from './report/peers-document.js';
import { saveResultsFile } from '../bench/results-file.js';
import { REPOSITORY_ROOT, RESULTS_DIRECTORY } from './lib/results-directory.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = REPOSITORY_ROOT;
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const PEER_CHILD = path.join(here, 'peers', 'peer-trial-child.js');
/** A run is killed (its whole process group, server included) after this long. */
const RUN_TIMEOUT_MS = 4 * 60_000;
const ROUNDS_DEFAULT = 3;
/** --quick is a smoke test: one round unless --rounds says otherwise. */
const QUICK_ROUNDS_DEFAULT = 1;

interface Options {
  rounds: number;
  quick: boolean;
  only: string[];
  save: boolean;
}

type Summary = Record<string, unknown>;

interface RunRecord {
  readonly summary?: Summary;
  readonly error?: string;
}

/** A system's entry in the saved document, with the median round's summary (per-second lines left out). */
export interface SystemOutcome extends PeersSystemEntry {
  readonly summary?: Summary;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { rounds: 0, quick: false, only: [], save: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--rounds') options.rounds = Math.max(1, Number.parseInt(argv[++i] ?? '', 10) || 1);
    else if (arg === '--quick') options.quick = true;
    else if (arg === '--only') options.only.push(...(argv[++i] ?? '').split(',').filter(Boolean));
    else if (arg === '--no-save') options.save = false;
    else throw new Error(`unknown argument ${arg} (use --rounds N, --quick, --only ids, --no-save)`);
  }
  if (options.rounds === 0) options.rounds = options.quick ? QUICK_ROUNDS_DEFAULT : ROUNDS_DEFAULT;
  return options;
}

/** Runs one process in its own process group; its progress goes to this terminal. */
function runProcess(args: readonly string[]): Promise<RunRecord> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const timer = setTimeout(() => killGroup(child.pid!), RUN_TIMEOUT_MS);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      // Anything the run left behind in its group (a server whose stop failed) goes too.
      killGroup(child.pid!);
      const last = stdout.trim().split('\n').at(-1) ?? '';
      try {
        const summary = JSON.parse(last) as Summary;
        resolve(code === 0 ? { summary } : { summary, error: `exited with status ${code}` });
      } catch {
        resolve({ error: `exited with ${signal ?? `status ${code}`} and no summary` });
      }
    });
  });
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}

/** Every round of every selected workload, systems alternated per round. */
async function runRounds(
  workloads: readonly WorkloadSpec[],
  options: Options,
  peers: PeerAvailability,
): Promise<Map<string, Map<PeerSystem, RunRecord[]>>> {
  const plan = options.quick ? QUICK_PLAN : FULL_PLAN;
  const records = new Map<string, Map<PeerSystem, RunRecord[]>>();
  for (let round = 0; round < options.rounds; round++) {
    for (const workload of workloads) {
      const runs = systemRuns(workload, plan, CLI, PEER_CHILD);
      const order = runs.map((_, i) => runs[(i + round) % runs.length]!);
      for (const run of order) {
        const byWorkload = records.get(workload.id) ?? new Map<PeerSystem, RunRecord[]>();
        records.set(workload.id, byWorkload);
        const list = byWorkload.get(run.system) ?? [];
        byWorkload.set(run.system, list);
        const reason = skipReason(run.system, workload, peers);
        if (reason !== undefined) {
          list.push({ error: `skipped: ${reason}` });
          continue;
        }
        console.error(`\n== [round ${round + 1}/${options.rounds}] ${workload.id}: ${SYSTEM_NAMES[run.system]}`);
        list.push(await runProcess(run.args));
      }
    }
  }
  return records;
}

function systemOutcome(workload: WorkloadSpec, run: SystemRun, records: readonly RunRecord[]): SystemOutcome {
  const figures = records.map((record) => figureOf(record.summary) ?? null);
  const headlines = figures.map((figure) => headlineOf(figure ?? undefined, workload.kind) ?? null);
  const median = medianOf(headlines);
  const chosen = median === undefined ? -1 : headlines.indexOf(median);
  const skipped = records.every((record) => record.error?.startsWith('skipped: '));
  const summary = chosen < 0 ? undefined : { ...records[chosen]!.summary };
  if (summary !== undefined) delete summary.intervals;
  return {
    system: run.system,
    name: SYSTEM_NAMES[run.system],
    durabilityMode: run.durabilityMode,
    durability: figures[chosen]?.durability ?? '',
    command: `node ${run.args.map((arg) => path.relative(ROOT, arg) || arg).join(' ')}`,
    status: skipped ? 'skipped' : chosen < 0 ? 'failed' : 'ok',
    ...(chosen < 0 ? { reason: records.find((record) => record.error)?.error?.replace(/^skipped: /, '') } : {}),
    rounds: headlines,
    figures,
    median: chosen < 0 ? null : figures[chosen]!,
    ...(summary === undefined ? {} : { summary }),
  };
}

function environment(peers: PeerAvailability): Record<string, unknown> {
  return {
    ...machine(),
    loadAverageAtStart: os.loadavg(),
    gitCommit: gitOutput(['rev-parse', 'HEAD']),
    gitDirtyFiles: dirtyFileCount(),
    servers: peers,
    clients: { ioredis: installedVersion('ioredis'), nats: installedVersion('nats') },
  };
}

function formatHeadline(value: number | null, kind: string): string {
  if (value === null) return '-';
  return kind === 'e2e' ? `p99 ${value.toFixed(2)} ms` : `${Math.round(value).toLocaleString('en-US')} msgs/s`;
}

function printSummary(
  workloads: readonly { spec: WorkloadSpec; systems: SystemOutcome[] }[],
  goals: GoalOutcome[],
): void {
  console.log('\nPeers (median round; durability mode beside every figure):');
  for (const { spec, systems } of workloads) {
    console.log(`  ${spec.id}: ${spec.title}`);
    for (const system of systems) {
      const figure = system.median;
      const cpu = figure?.cpuUsPerMessage.total;
      const text =
        system.status === 'ok'
          ? `${formatHeadline(headlineOf(figure ?? undefined, spec.kind) ?? null, spec.kind)}` +
            (figure?.latencyMs === undefined ? '' : `, p50 ${figure.latencyMs.p50Ms.toFixed(2)} ms`) +
            (cpu === undefined ? '' : `, CPU ${cpu.toFixed(2)} µs/msg`) +
            `  [rounds ${system.rounds.map((value) => formatHeadline(value, spec.kind)).join(' / ')}]`
          : `${system.status}: ${system.reason ?? ''}`;
      console.log(`    ${system.name.padEnd(15)} [${system.durabilityMode}] ${text}`);
    }
  }
  console.log('\nGoals (median of per-round ratios):');
  for (const goal of goals) {
    const ratios = goal.versus.map((entry) => `${entry.peer} ${entry.median?.toFixed(2) ?? '-'}x`).join(', ');
    const mark = goal.met === undefined ? 'n/a' : goal.met ? 'MET' : 'MISSED';
    const note = goal.note === undefined ? '' : ` (${goal.note})`;
    console.log(`  ${mark.padEnd(6)} ${goal.label}: ${ratios || 'no peer ran'}${note}`);
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const peers = detectPeers();
  for (const peer of Object.values(peers)) if (peer.skipped !== undefined) console.error(`peers: ${peer.skipped}`);
  const selected = PEER_WORKLOADS.filter(
    (workload) => options.only.length === 0 || options.only.some((prefix) => workload.id.startsWith(prefix)),
  );
  if (selected.length === 0) throw new Error(`no workload matches ${options.only.join(', ')}`);
  const started = new Date();
  const env = environment(peers);
  const records = await runRounds(selected, options, peers);
  const plan = options.quick ? QUICK_PLAN : FULL_PLAN;
  const workloads = selected.map((spec) => ({
    spec,
    systems: systemRuns(spec, plan, CLI, PEER_CHILD).map((run) =>
      systemOutcome(spec, run, records.get(spec.id)?.get(run.system) ?? []),
    ),
  }));
  const goals = PEER_GOALS.filter((goal) => selected.some((spec) => spec.id === goal.workload)).map((goal) => {
    const systems = workloads.find((entry) => entry.spec.id === goal.workload)!.systems;
    const rounds = new Map(systems.map((system) => [system.system, system.figures.map((f) => f ?? undefined)]));
    return evaluateGoal(goal, rounds);
  });
  printSummary(workloads, goals);
  const document: PeersDocument = {
    kind: 'peers',
    date: started.toISOString(),
    command: `node dist/native-bench/peers.bench.js ${process.argv.slice(2).join(' ')}`.trim(),
    quick: options.quick,
    rounds: options.rounds,
    plan,
    environment: { ...env, loadAverageAtEnd: os.loadavg() },
    skipped: Object.values(peers).flatMap((peer) => (peer.skipped === undefined ? [] : [peer.skipped])),
    workloads: workloads.map(({ spec, systems }) => ({ ...spec, systems })),
    goals,
  };
  if (!options.save) return;
  const file = saveResultsFile(
    { directory: RESULTS_DIRECTORY, name: 'peers', startedAt: started, latestName: 'peers-latest.json' },
    document,
  );
  console.log(`\nsaved ${path.relative(ROOT, file)} and native-bench/results/peers-latest.json`);
}

await main();
