// Hands queued runs to executors and records how runs end: reports, timeouts, cancels and
// executors that die. Retries (with back-off) and child jobs are decided here and carried in
// the run's `finish` command, so they happen exactly once even if the broker crashes after.
import type { LogBackedStateMachine } from '../state/log-backed-state-machine.js';
import {
  ACTIVE_RUN_STATUSES,
  type JobRecord,
  type JobSchedulerCommand,
  type JobSchedulerState,
  type RunRecord,
  type RunStatus,
} from '../state/job-scheduler-state.js';
import type { JobExecutorRegistry, LiveExecutor, RunAssignment } from './job-executor-registry.js';
import { JobRouter } from './job-router.js';
import { EXECUTOR_POLL_HOLD_MS, RUN_OUTPUT_TAIL_BYTES_MAX } from './scheduler-constants.js';

type Machine = LogBackedStateMachine<JobSchedulerState, JobSchedulerCommand>;

export interface RunOutcome {
  readonly status: RunStatus;
  readonly output?: string;
  readonly error?: string;
}

/** Runs created and ended since the broker started (plain numbers, for the metrics). */
export interface JobRunCounters {
  /** Runs queued to run, by what created them. */
  readonly fired: Record<RunRecord['trigger'], number>;
  /** Runs ended, by status (skipped and discarded ones end as they are created). */
  readonly ended: Partial<Record<RunStatus, number>>;
  /** Scheduled fires read later than their job's misfire threshold (the broker was down). */
  missed: number;
}

export class JobDispatcher {
  readonly counters: JobRunCounters = {
    fired: { schedule: 0, manual: 0, parent: 0, retry: 0 },
    ended: {},
    missed: 0,
  };
  private readonly router = new JobRouter();
  /** Runs waiting for an executor, in creation order. */
  private readonly pending = new Set<number>();
  /** Runs an executor is running (checked against their timeout). */
  private readonly running = new Set<number>();
  private nextRunId: number;

  constructor(
    private readonly machine: Machine,
    private readonly executors: JobExecutorRegistry,
    private readonly now: () => number,
    private readonly onFireDone: (job: JobRecord) => Promise<void>,
  ) {
    this.nextRunId = machine.state.nextRunId;
    for (const run of machine.state.runs.values())
      if (run.status === 'queued') this.pending.add(run.id);
      else if (run.status === 'running') this.running.add(run.id);
  }

  private get state(): Readonly<JobSchedulerState> {
    return this.machine.state;
  }

  allocateRunId(): number {
    this.nextRunId = Math.max(this.nextRunId, this.state.nextRunId);
    return this.nextRunId++;
  }

  activeRuns(job: JobRecord): RunRecord[] {
    const active: RunRecord[] = [];
    for (const id of job.runIds) {
      const run = this.state.runs.get(id);
      if (run !== undefined && ACTIVE_RUN_STATUSES.has(run.status)) active.push(run);
    }
    return active;
  }

  eligibleFor(job: JobRecord, run?: RunRecord): LiveExecutor[] {
    const glue = job.definition.glueSource !== undefined;
    const eligible = this.executors.eligible(job.definition.handler, glue, run);
    // Failover excluded every executor: try them all again rather than wait forever.
    return eligible.length > 0 || run?.excluded === undefined
      ? eligible
      : this.executors.eligible(job.definition.handler, glue);
  }

  /** Records runs just created, so dispatch considers them. */
  enqueue(runs: readonly RunRecord[]): void {
    for (const run of runs)
      if (run.status === 'queued') {
        this.pending.add(run.id);
        this.counters.fired[run.trigger]++;
      } else this.countEnded(run.status);
    this.dispatch();
  }

  dispatch(): void {
    const now = this.now();
    for (const id of this.pending) {
      const run = this.state.runs.get(id);
      if (run === undefined || run.status !== 'queued') {
        this.pending.delete(id);
        continue;
      }
      const job = this.state.jobs.get(run.job);
      if (job === undefined || (run.notBeforeMs ?? 0) > now || this.waitsForEarlierFire(job, run)) continue;
      const executor = this.chooseExecutor(job, run);
      if (executor !== undefined) this.start(job, run, executor, now);
    }
  }

  /** Serial: a run waits while a run of another fire of the same job is running. */
  private waitsForEarlierFire(job: JobRecord, run: RunRecord): boolean {
    for (const id of job.runIds) {
      const other = this.state.runs.get(id);
      if (other?.status === 'running' && (other.dueMs !== run.dueMs || other.trigger !== run.trigger)) return true;
    }
    return false;
  }

  private chooseExecutor(job: JobRecord, run: RunRecord): LiveExecutor | undefined {
    if (run.pinnedExecutor !== undefined) return this.executors.get(run.pinnedExecutor);
    return this.router.pick(job.definition.routing, job.definition.name, this.eligibleFor(job, run));
  }

  private start(job: JobRecord, run: RunRecord, executor: LiveExecutor, now: number): void {
    this.pending.delete(run.id);
    this.running.add(run.id);
    executor.lastUsedMs = now;
    executor.running.add(run.id);
    const { definition } = job;
    const assignment: RunAssignment = {
      runId: run.id,
      job: definition.name,
      dueMs: run.dueMs,
      handler: definition.handler,
      params: run.params ?? definition.params,
      attempt: run.attempt,
      shardIndex: run.shardIndex,
      shardCount: run.shardCount,
      timeoutMs: definition.timeoutMs,
      ...(definition.glueSource === undefined ? {} : { glueSource: definition.glueSource }),
    };
    // The start is applied now; the executor hears of it once it is stored.
    void this.machine.submit({ op: 'start', runId: run.id, executor: executor.id, startedAtMs: now }).then(() => {
      executor.outbox.push(assignment);
      executor.wake?.();
    });
  }

  /** The executor's report of a run it ran; ignored unless the run is running on it. */
  async report(executorId: string, runId: number, outcome: RunOutcome): Promise<boolean> {
    const run = this.state.runs.get(runId);
    if (run?.status !== 'running' || run.executor !== executorId) return false;
    await this.finish(run, outcome);
    return true;
  }

  /** Ends an active run; decides its retry or its children's runs. */
  async finish(run: RunRecord, outcome: RunOutcome): Promise<void> {
    const job = this.state.jobs.get(run.job);
    if (job === undefined || !ACTIVE_RUN_STATUSES.has(run.status)) return;
    const executor = run.executor === undefined ? undefined : this.executors.get(run.executor);
    const wasRunning = run.status === 'running';
    this.countEnded(outcome.status);
    const spawn = this.spawnAfter(job, run, outcome.status);
    const output = outcome.output === undefined ? undefined : outcome.output.slice(-RUN_OUTPUT_TAIL_BYTES_MAX);
    this.running.delete(run.id);
    this.pending.delete(run.id);
    executor?.running.delete(run.id);
    const stored = this.machine.submit({
      op: 'finish',
      runId: run.id,
      status: outcome.status,
      endedAtMs: this.now(),
      ...(output === undefined ? {} : { output }),
      ...(outcome.error === undefined ? {} : { error: outcome.error.slice(0, RUN_OUTPUT_TAIL_BYTES_MAX) }),
      spawn,
    });
    if (wasRunning && executor !== undefined && outcome.status !== 'succeeded' && outcome.status !== 'failed') {
      executor.cancels.push(run.id);
      executor.wake?.();
    }
    await stored;
    this.enqueue(spawn);
    if (this.activeRuns(job).length === 0) await this.onFireDone(job);
  }

  private countEnded(status: RunStatus): void {
    this.counters.ended[status] = (this.counters.ended[status] ?? 0) + 1;
  }

  private spawnAfter(job: JobRecord, run: RunRecord, status: RunStatus): RunRecord[] {
    const { definition } = job;
    if ((status === 'failed' || status === 'timedOut') && run.attempt <= definition.retries) {
      const backoff = definition.retryBackoffMs * 2 ** (run.attempt - 1);
      const { executor: _executor, startedAtMs: _started, output: _output, error: _error, ...rest } = run;
      return [
        {
          ...rest,
          id: this.allocateRunId(),
          attempt: run.attempt + 1,
          trigger: 'retry',
          status: 'queued',
          notBeforeMs: this.now() + backoff,
        },
      ];
    }
    if (status !== 'succeeded' || definition.children.length === 0 || !this.siblingsSucceeded(job, run)) return [];
    const dueMs = this.now();
    return definition.children
      .filter((child) => this.state.jobs.has(child))
      .map((child) => ({
        id: this.allocateRunId(),
        job: child,
        dueMs,
        trigger: 'parent',
        attempt: 1,
        shardIndex: 0,
        shardCount: 1,
        status: 'queued',
      }));
  }

  /** Every other shard of the run's fire has succeeded (so children fire once per fire). */
  private siblingsSucceeded(job: JobRecord, run: RunRecord): boolean {
    for (const id of job.runIds) {
      const other = this.state.runs.get(id);
      if (other === undefined || other.id === run.id || other.dueMs !== run.dueMs || other.shardCount === 1) continue;
      if (other.shardIndex !== run.shardIndex && other.status !== 'succeeded' && other.attempt >= 1) {
        const laterSucceeded = job.runIds.some((later) => {
          const candidate = this.state.runs.get(later);
          return (
            candidate?.dueMs === run.dueMs &&
            candidate.shardIndex === other.shardIndex &&
            candidate.status === 'succeeded'
          );
        });
        if (!laterSucceeded) return false;
      }
    }
    return true;
  }

  async cancelActive(name: string, reason: string): Promise<number> {
    const job = this.state.jobs.get(name);
    if (job === undefined) return 0;
    const active = this.activeRuns(job);
    for (const run of active) await this.finish(run, { status: 'cancelled', error: reason });
    return active.length;
  }

  /** An executor left (connection closed, lease ran out): its runs fail over or fail. */
  async executorGone(executor: LiveExecutor, reason: string): Promise<void> {
    this.executors.remove(executor.id);
    for (const runId of [...executor.running]) {
      const run = this.state.runs.get(runId);
      if (run?.status !== 'running') continue;
      const job = this.state.jobs.get(run.job);
      if (job?.definition.routing === 'failover' && run.pinnedExecutor === undefined) {
        this.running.delete(run.id);
        await this.machine.submit({ op: 'requeue', runId, excluded: [...(run.excluded ?? []), executor.id] });
        this.pending.add(runId);
      } else await this.finish(run, { status: 'failed', error: `executor ${executor.id} ${reason}` });
    }
    this.dispatch();
  }

  /** Runs past their timeout, executors past their lease, back-offs that ended. */
  sweep(): void {
    const now = this.now();
    for (const executor of this.executors.expired(now)) void this.executorGone(executor, 'stopped heartbeating');
    for (const id of this.running) {
      const run = this.state.runs.get(id);
      if (run?.status !== 'running') {
        this.running.delete(id);
        continue;
      }
      const timeoutMs = this.state.jobs.get(run.job)?.definition.timeoutMs ?? 0;
      if (now - (run.startedAtMs ?? now) > timeoutMs) void this.finish(run, { status: 'timedOut', error: 'timed out' });
    }
    this.dispatch();
  }

  /** Waits for work for an executor (or the hold time), then takes it. */
  async poll(executor: LiveExecutor): Promise<{ runs: RunAssignment[]; cancels: number[] }> {
    if (executor.outbox.length === 0 && executor.cancels.length === 0)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, EXECUTOR_POLL_HOLD_MS);
        function done(): void {
          clearTimeout(timer);
          executor.wake = undefined;
          resolve();
        }
        executor.wake = done;
      });
    const taken = { runs: executor.outbox, cancels: executor.cancels };
    executor.outbox = [];
    executor.cancels = [];
    return taken;
  }

  /** Runs recorded as running on `executorId` (after a broker restart, it re-registers). */
  runningOn(executorId: string): RunRecord[] {
    return [...this.running].map((id) => this.state.runs.get(id)!).filter((run) => run?.executor === executorId);
  }

  releasePolls(): void {
    for (const executor of this.executors.all()) executor.wake?.();
  }
}
