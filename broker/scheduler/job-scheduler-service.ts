// The job scheduler (issue 14), on the broker that holds its state (job-scheduler-state.ts).
//
// Firing rides on the broker's own delayed delivery: a job's next fire is a message with
// TIMER_DELIVER_MS = its due time on the fire topic, stored through the MessageWriter, which
// holds it on the timer topic; the schedule service delivers it to the fire topic at its due
// time, exactly once across crashes (schedule-message-service.ts). The scheduler reads the
// fire topic from a cursor kept in its state machine and logs a `fire` (the cursor inside), so
// a fire read twice after a crash is applied once. The timer record and its `armed` command are
// appended in one synchronous step, record first: a crash keeps a prefix of the log, so either
// both or only the record survive; a record whose `armed` was lost is armed again at recovery
// with the same due time, and the state machine's (job, due time) check drops the duplicate.
//
// Misfires: a fire read more than the job's misfireThresholdMs (5 s by default) after its due time (the broker was down)
// follows the job's policy: fireOnce runs it once and arms the next due time after now (the
// missed ones are not caught up), skip runs nothing and arms the next due time after now.
import type { MessageStore } from '../../storage/index.js';
import { PROPERTY } from '../../protocol/message-properties-codec.js';
import { SYSTEM_TOPIC } from '../broker-constants.js';
import type { MessageWriter } from '../delivery/message-writer.js';
import type { LogBackedStateMachine } from '../state/log-backed-state-machine.js';
import {
  isFireDue,
  openJobSchedulerState,
  type JobDefinition,
  type JobRecord,
  type JobSchedulerCommand,
  type JobSchedulerState,
  type RunRecord,
} from '../state/job-scheduler-state.js';
import { JobDispatcher } from './job-dispatcher.js';
import { JobExecutorRegistry } from './job-executor-registry.js';
import { JobSchedulerError } from './job-scheduler-error.js';
import { nextDueTime } from './next-due-time.js';
import { planFireRuns } from './plan-fire-runs.js';
import {
  FIRE_POLL_INTERVAL_MS,
  FIRE_READ_BATCH_COUNT,
  JOB_FIRE_AHEAD_MS_MAX,
  JOBS_MAX,
  SCHEDULER_SWEEP_INTERVAL_MS,
} from './scheduler-constants.js';

export class JobSchedulerService {
  readonly machine: LogBackedStateMachine<JobSchedulerState, JobSchedulerCommand>;
  readonly executors = new JobExecutorRegistry();
  readonly dispatcher: JobDispatcher;
  private fireTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: MessageStore,
    private readonly writer: MessageWriter,
    stateDirectory: string,
    private readonly onError: (error: unknown, context: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.machine = openJobSchedulerState(store, stateDirectory);
    this.dispatcher = new JobDispatcher(this.machine, this.executors, now, (job) => this.armAfterRun(job));
  }

  get state(): Readonly<JobSchedulerState> {
    return this.machine.state;
  }

  /** Arms every job whose next fire is not armed yet (fresh, or a crash lost its `armed`). */
  async start(): Promise<void> {
    for (const job of this.state.jobs.values())
      if (job.armedDueMs <= job.lastFiredDueMs) await this.arm(job, Math.max(job.lastFiredDueMs, 0) || this.now());
    this.fireTimer = setInterval(() => this.readFires(), FIRE_POLL_INTERVAL_MS);
    this.sweepTimer = setInterval(() => this.dispatcher.sweep(), SCHEDULER_SWEEP_INTERVAL_MS);
    this.fireTimer.unref();
    this.sweepTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.fireTimer);
    clearInterval(this.sweepTimer);
    await this.reading;
    this.dispatcher.releasePolls();
  }

  async putJob(definition: JobDefinition, mode: 'create' | 'update' | 'upsert'): Promise<void> {
    const known = this.state.jobs.get(definition.name);
    if (mode === 'create' && known !== undefined)
      throw new JobSchedulerError('JOB_EXISTS', `job ${definition.name} exists`);
    if (mode === 'update' && known === undefined) throw notFound(definition.name);
    if (known === undefined && this.state.jobs.size >= JOBS_MAX)
      throw new JobSchedulerError('TOO_MANY_JOBS', `the scheduler holds ${JOBS_MAX} jobs at most`);
    await this.machine.submit({ op: 'put', definition });
    const job = this.state.jobs.get(definition.name)!;
    if (!job.paused) await this.arm(job, this.now());
  }

  async deleteJob(name: string): Promise<void> {
    this.job(name);
    await this.dispatcher.cancelActive(name, 'job deleted');
    await this.machine.submit({ op: 'delete', name });
  }

  async setPaused(name: string, paused: boolean): Promise<void> {
    const job = this.job(name);
    await this.machine.submit({ op: 'pause', name, paused });
    if (!paused) await this.arm(job, this.now());
  }

  /** Fires a job now, outside its schedule; resolves with the runs created. */
  async trigger(name: string, params?: string): Promise<RunRecord[]> {
    const job = this.job(name);
    const runs = await planFireRuns(this.dispatcher, job, this.now(), 'manual', params);
    await this.machine.submit({ op: 'fire', name, dueMs: this.now(), scheduled: false, runs });
    this.dispatcher.enqueue(runs);
    return runs;
  }

  job(name: string): JobRecord {
    const job = this.state.jobs.get(name);
    if (job === undefined) throw notFound(name);
    return job;
  }

  /** Writes the job's next timer record after `afterMs` and logs it armed (see the header). */
  private async arm(job: JobRecord, afterMs: number): Promise<void> {
    const { definition } = job;
    if (job.paused || definition.schedule.kind === 'manual') return;
    const dueMs = nextDueTime(definition.schedule, afterMs, job.lastFiredDueMs);
    if (dueMs === undefined || dueMs <= job.lastFiredDueMs) return;
    const record = this.writeFireRecord(definition.name, dueMs);
    const armed = this.machine.submit({ op: 'armed', name: definition.name, dueMs });
    await Promise.all([record, armed]);
  }

  /**
   * The timer record of a fire. One due further ahead than the timer topic holds messages is
   * written as a hop: delivered early, it is written again nearer (see fire()).
   */
  private writeFireRecord(name: string, dueMs: number): Promise<unknown> {
    const deliverAtMs = Math.min(dueMs, this.now() + JOB_FIRE_AHEAD_MS_MAX);
    return this.writer.put({
      topic: SYSTEM_TOPIC.jobFire,
      queueId: 0,
      body: Buffer.from(JSON.stringify({ job: name, dueMs })),
      properties: { [PROPERTY.timerDeliverMs]: String(deliverAtMs) },
    });
  }

  /** A fixed-delay job is armed when its fire's last run ends. */
  private async armAfterRun(job: JobRecord): Promise<void> {
    if (job.definition.schedule.kind !== 'fixedDelay' || job.armedDueMs > job.lastFiredDueMs) return;
    await this.arm(job, this.now());
  }

  private readFires(): void {
    if (this.reading !== undefined || this.stopped) return;
    if (this.state.fireCursor >= this.store.maxQueueOffset(SYSTEM_TOPIC.jobFire, 0)) return;
    this.reading = this.readFireBatch()
      .catch((error: unknown) => this.onError(error, 'reading job fires'))
      .finally(() => {
        this.reading = undefined;
      });
  }

  private async readFireBatch(): Promise<void> {
    const from = Math.max(this.state.fireCursor, this.store.minQueueOffset(SYSTEM_TOPIC.jobFire, 0));
    const result = this.store.read(SYSTEM_TOPIC.jobFire, 0, from, FIRE_READ_BATCH_COUNT);
    if (result.status !== 'found') {
      await this.machine.submit({ op: 'cursor', cursor: result.nextQueueOffset });
      return;
    }
    for (const message of result.messages) {
      const cursor = message.queueOffset + 1;
      const fire = JSON.parse(message.body.toString('utf8')) as { job: string; dueMs: number };
      await this.fire(fire.job, fire.dueMs, cursor);
    }
    this.dispatcher.dispatch();
  }

  private async fire(name: string, dueMs: number, cursor: number): Promise<void> {
    const job = this.state.jobs.get(name);
    if (job === undefined || !isFireDue(job, dueMs)) {
      await this.machine.submit({ op: 'cursor', cursor });
      return;
    }
    const now = this.now();
    if (dueMs > now) {
      // A hop of a fire due beyond the timer's reach: hold it again, nearer.
      await Promise.all([this.writeFireRecord(name, dueMs), this.machine.submit({ op: 'cursor', cursor })]);
      return;
    }
    const misfired = now - dueMs > job.definition.misfireThresholdMs;
    if (misfired) this.dispatcher.counters.missed++;
    const runs: RunRecord[] =
      misfired && job.definition.misfire === 'skip'
        ? [skippedRun(this.dispatcher.allocateRunId(), name, dueMs)]
        : await planFireRuns(this.dispatcher, job, dueMs, 'schedule', undefined);
    await this.machine.submit({ op: 'fire', name, dueMs, scheduled: true, cursor, runs });
    this.dispatcher.enqueue(runs);
    if (job.definition.schedule.kind !== 'fixedDelay') await this.arm(job, misfired ? now : dueMs);
    else if (runs.every((run) => run.status === 'skipped')) await this.arm(job, now);
  }
}

/** The run log's record of a misfire skipped by policy: nothing runs. */
function skippedRun(id: number, job: string, dueMs: number): RunRecord {
  return { id, job, dueMs, trigger: 'schedule', attempt: 1, shardIndex: 0, shardCount: 1, status: 'skipped' };
}

function notFound(name: string): JobSchedulerError {
  return new JobSchedulerError('JOB_NOT_FOUND', `no job ${name}`);
}
