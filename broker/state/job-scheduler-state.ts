// The job scheduler's state (ARCHITECTURE.md §4, state queue 10): job definitions, where each
// job's firing stands, and the run log. Every decision (which runs a fire creates, which retry
// or child run a finished run spawns) is made by the service before it submits, and carried in
// the command, so apply() only records; replay therefore rebuilds exactly what was decided.
//
// Exactly one fire per due time: a `fire` command for a scheduled due time is applied only when
// that due time is the one armed for the job and later than the last one fired, so a second
// timer record for the same (job, due time), written when a crash came between storing the
// record and logging `armed`, is a no-op. The fire topic's read cursor rides in the same command.
import type { MessageStore } from '../../storage/index.js';
import { STATE_QUEUE } from '../broker-constants.js';
import { LogBackedStateMachine, type StateMachineDefinition } from './log-backed-state-machine.js';

export type JobSchedule =
  | { readonly kind: 'cron'; readonly expression: string; readonly timeZone?: string }
  | { readonly kind: 'fixedRate'; readonly everyMs: number; readonly startAtMs?: number }
  | { readonly kind: 'fixedDelay'; readonly delayMs: number }
  | { readonly kind: 'once'; readonly atMs: number }
  | { readonly kind: 'manual' };

export const JOB_ROUTINGS = [
  'first',
  'roundRobin',
  'random',
  'consistentHash',
  'leastRecentlyUsed',
  'failover',
  'shardingBroadcast',
] as const;
export type JobRouting = (typeof JOB_ROUTINGS)[number];
export const JOB_CONCURRENCY_POLICIES = ['serial', 'discardLater', 'cancelRunning'] as const;
export type JobConcurrency = (typeof JOB_CONCURRENCY_POLICIES)[number];
export const JOB_MISFIRE_POLICIES = ['fireOnce', 'skip'] as const;
export type JobMisfire = (typeof JOB_MISFIRE_POLICIES)[number];

export interface JobDefinition {
  readonly name: string;
  /** Handler name executors register; ignored for GLUE jobs. */
  readonly handler: string;
  readonly schedule: JobSchedule;
  readonly params: string;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retryBackoffMs: number;
  readonly routing: JobRouting;
  readonly concurrency: JobConcurrency;
  readonly misfire: JobMisfire;
  /** A fire read this late is a misfire (the broker was down). */
  readonly misfireThresholdMs: number;
  /** Jobs fired when a run of this one succeeds. */
  readonly children: readonly string[];
  /** JavaScript source run by GLUE-enabled executors instead of a registered handler. */
  readonly glueSource?: string;
}

export interface JobRecord {
  definition: JobDefinition;
  paused: boolean;
  /** Due time of the newest timer record written for the job (0: none). */
  armedDueMs: number;
  /** Due time of the newest scheduled fire applied (0: none). */
  lastFiredDueMs: number;
  /** Run ids of the job, oldest first (the run log, bounded by retention). */
  runIds: number[];
}

export const RUN_STATUSES = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'timedOut',
  'discarded',
  'skipped',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const ACTIVE_RUN_STATUSES: ReadonlySet<RunStatus> = new Set(['queued', 'running']);

export interface RunRecord {
  readonly id: number;
  readonly job: string;
  readonly dueMs: number;
  readonly trigger: 'schedule' | 'manual' | 'parent' | 'retry';
  readonly attempt: number;
  readonly shardIndex: number;
  readonly shardCount: number;
  /** Executor the run is pinned to (a shard), if any. */
  readonly pinnedExecutor?: string;
  /** Parameters of a manual trigger, instead of the job's own. */
  readonly params?: string;
  status: RunStatus;
  executor?: string;
  startedAtMs?: number;
  endedAtMs?: number;
  /** Not dispatched before this time (retry back-off). */
  notBeforeMs?: number;
  output?: string;
  error?: string;
  /** Executors that failed this run (failover skips them). */
  excluded?: string[];
}

export interface JobSchedulerState {
  jobs: Map<string, JobRecord>;
  runs: Map<number, RunRecord>;
  nextRunId: number;
  /** Next queue offset of the fire topic to read. */
  fireCursor: number;
}

export type JobSchedulerCommand =
  | { op: 'put'; definition: JobDefinition }
  | { op: 'delete'; name: string }
  | { op: 'pause'; name: string; paused: boolean }
  | { op: 'armed'; name: string; dueMs: number }
  /** A fire read from the fire topic (cursor) or a manual trigger; `runs` already decided. */
  | { op: 'fire'; name: string; dueMs: number; scheduled: boolean; cursor?: number; runs: RunRecord[] }
  | { op: 'cursor'; cursor: number }
  | { op: 'start'; runId: number; executor: string; startedAtMs: number }
  | { op: 'requeue'; runId: number; excluded: string[] }
  /** A run ends; `spawn` holds its retry or its children's runs. Repeats are no-ops. */
  | {
      op: 'finish';
      runId: number;
      status: RunStatus;
      endedAtMs: number;
      output?: string;
      error?: string;
      spawn: RunRecord[];
    };

/** Terminal runs kept per job in the run log (older ones are dropped). */
export const RUN_LOG_RUNS_PER_JOB_MAX = 200;

interface Snapshot {
  jobs: [string, JobRecord][];
  runs: RunRecord[];
  nextRunId: number;
  fireCursor: number;
}

export const JOB_SCHEDULER_DEFINITION: StateMachineDefinition<JobSchedulerState, JobSchedulerCommand> = {
  name: 'job-scheduler',
  queueId: STATE_QUEUE.jobScheduler,
  initial: () => ({ jobs: new Map(), runs: new Map(), nextRunId: 1, fireCursor: 0 }),
  apply: applyCommand,
  toSnapshot: (state): Snapshot => ({
    jobs: [...state.jobs],
    runs: [...state.runs.values()],
    nextRunId: state.nextRunId,
    fireCursor: state.fireCursor,
  }),
  fromSnapshot: (data) => {
    const snapshot = data as Snapshot;
    return {
      jobs: new Map(snapshot.jobs),
      runs: new Map(snapshot.runs.map((run) => [run.id, run])),
      nextRunId: snapshot.nextRunId,
      fireCursor: snapshot.fireCursor,
    };
  },
};

function applyCommand(state: JobSchedulerState, command: JobSchedulerCommand): void {
  switch (command.op) {
    case 'put': {
      const known = state.jobs.get(command.definition.name);
      if (known !== undefined) {
        known.definition = command.definition;
        // A changed schedule is armed afresh; the old record is then stale (due time differs).
        known.armedDueMs = 0;
      } else
        state.jobs.set(command.definition.name, {
          definition: command.definition,
          paused: false,
          armedDueMs: 0,
          lastFiredDueMs: 0,
          runIds: [],
        });
      return;
    }
    case 'delete': {
      const job = state.jobs.get(command.name);
      if (job === undefined) return;
      for (const id of job.runIds) state.runs.delete(id);
      state.jobs.delete(command.name);
      return;
    }
    case 'pause': {
      const job = state.jobs.get(command.name);
      if (job !== undefined) {
        job.paused = command.paused;
        if (command.paused) job.armedDueMs = 0;
      }
      return;
    }
    case 'armed': {
      const job = state.jobs.get(command.name);
      if (job !== undefined) job.armedDueMs = command.dueMs;
      return;
    }
    case 'cursor':
      state.fireCursor = Math.max(state.fireCursor, command.cursor);
      return;
    case 'fire':
      applyFire(state, command);
      return;
    default:
      applyRunChange(state, command);
  }
}

function applyFire(state: JobSchedulerState, command: Extract<JobSchedulerCommand, { op: 'fire' }>): void {
  if (command.cursor !== undefined) state.fireCursor = Math.max(state.fireCursor, command.cursor);
  const job = state.jobs.get(command.name);
  if (job === undefined) return;
  if (command.scheduled) {
    if (!isFireDue(job, command.dueMs)) return;
    job.lastFiredDueMs = command.dueMs;
  }
  addRuns(state, command.runs);
}

/** Whether a scheduled fire for `dueMs` is the job's armed one and not fired yet. */
export function isFireDue(job: JobRecord, dueMs: number): boolean {
  return !job.paused && dueMs === job.armedDueMs && dueMs > job.lastFiredDueMs;
}

function applyRunChange(
  state: JobSchedulerState,
  command: Extract<JobSchedulerCommand, { op: 'start' | 'requeue' | 'finish' }>,
): void {
  const run = state.runs.get(command.runId);
  if (run === undefined) return;
  if (command.op === 'start') {
    if (run.status !== 'queued') return;
    run.status = 'running';
    run.executor = command.executor;
    run.startedAtMs = command.startedAtMs;
    return;
  }
  if (command.op === 'requeue') {
    if (run.status !== 'running') return;
    run.status = 'queued';
    run.executor = undefined;
    run.startedAtMs = undefined;
    run.excluded = command.excluded;
    return;
  }
  if (!ACTIVE_RUN_STATUSES.has(run.status)) return;
  run.status = command.status;
  run.endedAtMs = command.endedAtMs;
  if (command.output !== undefined) run.output = command.output;
  if (command.error !== undefined) run.error = command.error;
  addRuns(state, command.spawn);
}

function addRuns(state: JobSchedulerState, runs: readonly RunRecord[]): void {
  for (const run of runs) {
    const job = state.jobs.get(run.job);
    if (job === undefined || state.runs.has(run.id)) continue;
    state.runs.set(run.id, { ...run });
    state.nextRunId = Math.max(state.nextRunId, run.id + 1);
    job.runIds.push(run.id);
    trimRunLog(state, job);
  }
}

/** Drops the oldest terminal runs of a job beyond the run log's limit. */
function trimRunLog(state: JobSchedulerState, job: JobRecord): void {
  if (job.runIds.length <= RUN_LOG_RUNS_PER_JOB_MAX) return;
  const kept: number[] = [];
  let excess = job.runIds.length - RUN_LOG_RUNS_PER_JOB_MAX;
  for (const id of job.runIds) {
    const run = state.runs.get(id);
    if (excess > 0 && (run === undefined || !ACTIVE_RUN_STATUSES.has(run.status))) {
      state.runs.delete(id);
      excess--;
    } else kept.push(id);
  }
  job.runIds = kept;
}

export function openJobSchedulerState(
  store: MessageStore,
  stateDirectory: string,
): LogBackedStateMachine<JobSchedulerState, JobSchedulerCommand> {
  return LogBackedStateMachine.open(store, stateDirectory, JOB_SCHEDULER_DEFINITION);
}
