// The job scheduler's requests (codes 21400-21419). Every body is JSON, both ways:
//
//   JOB_EXECUTOR_REGISTER  {executorId, app, handlers: [name], glue: bool, leaseMs, cleanStale: bool}
//   JOB_EXECUTOR_HEARTBEAT {executorId}
//   JOB_EXECUTOR_POLL      {executorId} -> {runs: [RunAssignment], cancels: [runId]}  (held)
//   JOB_EXECUTOR_REPORT    {executorId, runId, status: succeeded|failed|timedOut, output?, error?}
//   JOB_EXECUTOR_UNREGISTER {executorId}
//   JOB_PUT                {mode: create|update|upsert, job: JobDefinition}
//   JOB_DELETE / JOB_DESCRIBE / JOB_PAUSE / JOB_RESUME {name}
//   JOB_TRIGGER            {name, params?} -> {runIds}
//   JOB_CANCEL             {name?, runId?} -> {cancelled}
//   JOB_LIST               {} -> {jobs: [summary]}
//   JOB_RUNS               {name?, status?, limit?} -> {runs: [RunRecord]} newest first
//   JOB_EXECUTORS          {} -> {executors: [...]}
//
// A refusal is SYSTEM_ERROR with the remark "<JobSchedulerErrorCode>: <message>".
import type { Channel } from '../../server/remoting-server.js';
import { bodyOf, responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { RUN_STATUSES, type RunRecord } from '../state/job-scheduler-state.js';
import { checkJobDefinition, checkJobName } from './job-definition-check.js';
import { JobSchedulerError } from './job-scheduler-error.js';
import type { JobSchedulerService } from './job-scheduler-service.js';
import {
  EXECUTOR_HANDLERS_MAX,
  EXECUTOR_LEASE_MS_DEFAULT,
  EXECUTOR_LEASE_MS_MAX,
  EXECUTOR_LEASE_MS_MIN,
  RUN_QUERY_COUNT_MAX,
} from './scheduler-constants.js';

type Body = Record<string, unknown>;
type Handler = (body: Body, channel: Channel) => Promise<unknown>;

export class JobSchedulerProcessor {
  constructor(private readonly scheduler: JobSchedulerService) {}

  /** Request code -> handler, for the broker to register. */
  routes(): [number, Handler][] {
    const s = this.scheduler;
    return [
      [REQUEST_CODE.JOB_EXECUTOR_REGISTER, (b, c) => this.register(b, c)],
      [REQUEST_CODE.JOB_EXECUTOR_HEARTBEAT, async (b) => void this.executor(b)],
      [REQUEST_CODE.JOB_EXECUTOR_POLL, (b) => s.dispatcher.poll(this.executor(b))],
      [REQUEST_CODE.JOB_EXECUTOR_REPORT, (b) => this.report(b)],
      [REQUEST_CODE.JOB_EXECUTOR_UNREGISTER, (b) => s.dispatcher.executorGone(this.executor(b), 'unregistered')],
      [REQUEST_CODE.JOB_PUT, (b) => s.putJob(checkJobDefinition(b.job), putMode(b.mode))],
      [REQUEST_CODE.JOB_DELETE, (b) => s.deleteJob(checkJobName(b.name))],
      [REQUEST_CODE.JOB_DESCRIBE, async (b) => this.describe(checkJobName(b.name))],
      [REQUEST_CODE.JOB_PAUSE, (b) => s.setPaused(checkJobName(b.name), true)],
      [REQUEST_CODE.JOB_RESUME, (b) => s.setPaused(checkJobName(b.name), false)],
      [
        REQUEST_CODE.JOB_TRIGGER,
        async (b) => ({ runIds: (await s.trigger(checkJobName(b.name), optionalParams(b.params))).map((r) => r.id) }),
      ],
      [REQUEST_CODE.JOB_CANCEL, (b) => this.cancel(b)],
      [REQUEST_CODE.JOB_LIST, async () => this.list()],
      [REQUEST_CODE.JOB_RUNS, async (b) => this.runs(b)],
      [REQUEST_CODE.JOB_EXECUTORS, async () => this.executors()],
    ];
  }

  async handle(handler: Handler, request: RemotingCommand, channel: Channel): Promise<RemotingCommand> {
    try {
      const parsed: unknown = JSON.parse(bodyOf(request).toString('utf8') || '{}');
      if (parsed === null || typeof parsed !== 'object') throw invalid('the body must be a JSON object');
      const result = await handler(parsed as Body, channel);
      const body = Buffer.from(JSON.stringify(result ?? {}));
      return responseTo(request, RESPONSE_CODE.SUCCESS, undefined, undefined, body);
    } catch (error) {
      if (error instanceof JobSchedulerError)
        return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, `${error.code}: ${error.message}`);
      if (error instanceof SyntaxError)
        return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, 'INVALID_REQUEST: not JSON');
      throw error;
    }
  }

  private async register(body: Body, channel: Channel): Promise<unknown> {
    const id = stringField(body.executorId, 'executorId');
    const handlers = body.handlers ?? [];
    if (
      !Array.isArray(handlers) ||
      handlers.length > EXECUTOR_HANDLERS_MAX ||
      handlers.some((h) => typeof h !== 'string')
    )
      throw invalid(`handlers must be at most ${EXECUTOR_HANDLERS_MAX} names`);
    const leaseMs = body.leaseMs ?? EXECUTOR_LEASE_MS_DEFAULT;
    if (typeof leaseMs !== 'number' || !(leaseMs >= EXECUTOR_LEASE_MS_MIN && leaseMs <= EXECUTOR_LEASE_MS_MAX))
      throw invalid(`leaseMs must be from ${EXECUTOR_LEASE_MS_MIN} to ${EXECUTOR_LEASE_MS_MAX}`);
    const { dispatcher, executors } = this.scheduler;
    const previous = executors.get(id);
    if (previous !== undefined && previous.channelId !== channel.id) executors.remove(id);
    const now = Date.now();
    const executor = executors.register({
      id,
      app: typeof body.app === 'string' ? body.app : '',
      handlers: new Set(handlers as string[]),
      glue: body.glue === true,
      channelId: channel.id,
      leaseMs,
      lastBeatMs: now,
    });
    // Runs it held before a broker restart or reconnect: still its own, unless it asks to clean them.
    let cleaned = 0;
    for (const run of dispatcher.runningOn(id))
      if (body.cleanStale === true) {
        await dispatcher.finish(run, { status: 'failed', error: 'executor restarted' });
        cleaned++;
      } else executor.running.add(run.id);
    dispatcher.dispatch();
    return { cleaned };
  }

  private executor(body: Body): NonNullable<ReturnType<JobSchedulerService['executors']['get']>> {
    const id = stringField(body.executorId, 'executorId');
    const executor = this.scheduler.executors.get(id);
    if (executor === undefined) throw new JobSchedulerError('UNKNOWN_EXECUTOR', `executor ${id} is not registered`);
    executor.lastBeatMs = Date.now();
    return executor;
  }

  private async report(body: Body): Promise<unknown> {
    const executor = this.executor(body);
    const status = body.status === 'succeeded' || body.status === 'timedOut' ? body.status : 'failed';
    if (typeof body.runId !== 'number') throw invalid('runId must be a number');
    const accepted = await this.scheduler.dispatcher.report(executor.id, body.runId, {
      status,
      ...(typeof body.output === 'string' ? { output: body.output } : {}),
      ...(typeof body.error === 'string' ? { error: body.error } : {}),
    });
    return { accepted };
  }

  private async cancel(body: Body): Promise<unknown> {
    const { dispatcher, state } = this.scheduler;
    if (typeof body.runId === 'number') {
      const run = state.runs.get(body.runId);
      if (run === undefined) throw new JobSchedulerError('JOB_NOT_FOUND', `no run ${body.runId}`);
      const active = run.status === 'queued' || run.status === 'running';
      await dispatcher.finish(run, { status: 'cancelled', error: 'cancelled by an operator' });
      return { cancelled: active ? 1 : 0 };
    }
    const name = checkJobName(body.name);
    this.scheduler.job(name);
    return { cancelled: await dispatcher.cancelActive(name, 'cancelled by an operator') };
  }

  private describe(name: string): unknown {
    const job = this.scheduler.job(name);
    return {
      ...job,
      runIds: undefined,
      runCount: job.runIds.length,
      active: this.scheduler.dispatcher.activeRuns(job),
    };
  }

  private list(): unknown {
    const jobs = [...this.scheduler.state.jobs.values()].map((job) => ({
      name: job.definition.name,
      handler: job.definition.glueSource === undefined ? job.definition.handler : '(glue)',
      schedule: job.definition.schedule,
      paused: job.paused,
      nextDueMs: job.armedDueMs > job.lastFiredDueMs ? job.armedDueMs : 0,
      lastFiredDueMs: job.lastFiredDueMs,
    }));
    return { jobs: jobs.sort((a, b) => a.name.localeCompare(b.name)) };
  }

  private runs(body: Body): unknown {
    const { state } = this.scheduler;
    const limit = Math.min(typeof body.limit === 'number' && body.limit > 0 ? body.limit : 100, RUN_QUERY_COUNT_MAX);
    if (body.status !== undefined && !RUN_STATUSES.includes(body.status as never)) throw invalid('unknown run status');
    const ids = body.name === undefined ? [...state.runs.keys()] : this.scheduler.job(checkJobName(body.name)).runIds;
    const runs: RunRecord[] = [];
    for (let i = ids.length - 1; i >= 0 && runs.length < limit; i--) {
      const run = state.runs.get(ids[i]!);
      if (run !== undefined && (body.status === undefined || run.status === body.status)) runs.push(run);
    }
    return { runs };
  }

  private executors(): unknown {
    return {
      executors: this.scheduler.executors.all().map((executor) => ({
        id: executor.id,
        app: executor.app,
        handlers: [...executor.handlers],
        glue: executor.glue,
        running: [...executor.running],
        lastBeatMs: executor.lastBeatMs,
        leaseMs: executor.leaseMs,
      })),
    };
  }
}

function putMode(value: unknown): 'create' | 'update' | 'upsert' {
  if (value === 'create' || value === 'update' || value === 'upsert') return value;
  throw invalid('mode must be create, update or upsert');
}

function optionalParams(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid('params must be a string');
  return value;
}

function stringField(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '' || value.length > 256)
    throw invalid(`${field} must be a non-empty string`);
  return value;
}

function invalid(message: string): JobSchedulerError {
  return new JobSchedulerError('INVALID_REQUEST', message);
}
