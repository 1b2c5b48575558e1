// An application that runs scheduled jobs: it registers the handlers it can run with the
// broker's scheduler (a registration with a lease, renewed by heartbeats on the same
// connection), long-polls for runs, runs each handler with an AbortSignal (aborted when the run
// is cancelled or times out) and reports how it ended with the tail of what it logged. If its
// connection drops, the broker removes it and fails its runs over; it registers again.
//
//   const executor = new JobExecutor({ brokerAddress, handlers: { report: async (run) => { ... } } });
//   await executor.start();
import { randomBytes } from 'node:crypto';
import os from 'node:os';

import { REQUEST_CODE } from '../../protocol/request-code.js';
import type { AccessCredentials } from '../../protocol/request-signature.js';
import { RemotingClient } from '../remoting/remoting-client.js';
import { GluePool } from './glue-pool.js';
import { JobSchedulerClientError } from './job-scheduler-client-error.js';
import {
  EXECUTOR_HEARTBEATS_PER_LEASE,
  EXECUTOR_LEASE_MS_DEFAULT,
  EXECUTOR_OUTPUT_TAIL_CHARS_MAX,
  EXECUTOR_POLL_TIMEOUT_MS,
  EXECUTOR_RETRY_DELAY_MS,
  SCHEDULER_REQUEST_TIMEOUT_MS_DEFAULT,
} from './scheduler-client-constants.js';
import { schedulerRequest } from './scheduler-request.js';

/** What a handler gets for one run: which run it is, its parameters and shard, an abort signal and a log. */
export interface JobRunContext {
  /** The run's id in the run log. */
  readonly runId: number;
  /** The job's name. */
  readonly job: string;
  /** The due time this run fires for (the trigger time for manual and child runs). */
  readonly dueMs: number;
  /** The job's params, or those the trigger passed. */
  readonly params: string;
  /** 1 for the first run of a fire, then one more per retry. */
  readonly attempt: number;
  /** This run's shard (0 unless the job's routing is shardingBroadcast). */
  readonly shardIndex: number;
  /** How many shards the fire has (1 unless the job's routing is shardingBroadcast). */
  readonly shardCount: number;
  /** Aborted when the run is cancelled or reaches its timeout. */
  readonly signal: AbortSignal;
  /** Adds a line to the run's output (its tail is kept in the run log). */
  log(line: string): void;
}

/** Resolves (optionally with text for the output) on success; throws on failure. */
export type JobHandler = (run: JobRunContext) => Promise<string | void>;

/**
 * Options of a JobExecutor. Defaults: a fresh id (`host@pid#random`), app '', leaseMs 10000
 * (from 200 to 600000; heartbeats three times per lease), no stale cleaning, no GLUE, no credentials.
 */
export interface JobExecutorOptions {
  /** 'host:port' of the broker holding the scheduler. */
  readonly brokerAddress: string;
  /** Handler name (a job's `handler`) -> the function that runs it. */
  readonly handlers: Readonly<Record<string, JobHandler>>;
  /** Stable id across restarts (so `cleanStale` can find this executor's runs). */
  readonly executorId?: string;
  /** The application's name, shown in `executors`. */
  readonly app?: string;
  /** Without a heartbeat for this long, the broker removes the executor and fails (or fails over) its runs. */
  readonly leaseMs?: number;
  /** Runs of this executor id still recorded as running are failed at start (it restarted). */
  readonly cleanStale?: boolean;
  /** Runs GLUE jobs (JavaScript stored in the scheduler) in a worker pool. Off by default. */
  readonly glue?: boolean;
  /** Signs each request; under ACL an executor needs a signed account. */
  readonly credentials?: AccessCredentials;
}

interface RunAssignment {
  runId: number;
  job: string;
  dueMs: number;
  handler: string;
  params: string;
  attempt: number;
  shardIndex: number;
  shardCount: number;
  timeoutMs: number;
  glueSource?: string;
}

/**
 * An application that runs scheduled jobs: it registers its handlers with the broker's scheduler
 * under a lease renewed by heartbeats, long-polls for runs, runs each handler with an AbortSignal
 * (aborted when the run is cancelled or times out) and reports how it ended with the tail of what
 * it logged (4096 characters). A handler that throws fails the run (retried per the job's
 * `retries`). When its connection drops or the broker forgets it (UNKNOWN_EXECUTOR), it registers
 * again, keeping its runs.
 */
export class JobExecutor {
  /** The executor id it registers under (`executorId`, or one made at construction). */
  readonly id: string;
  private readonly remoting: RemotingClient;
  private readonly running = new Map<number, AbortController>();
  private readonly glue: GluePool | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: JobExecutorOptions) {
    this.id = options.executorId ?? `${os.hostname()}@${process.pid}#${randomBytes(4).toString('hex')}`;
    this.remoting = new RemotingClient(options.credentials === undefined ? {} : { credentials: options.credentials });
    this.glue = options.glue === true ? new GluePool() : undefined;
  }

  /**
   * Registers (resolving with how many stale runs were cleaned) and starts polling. Rejects when
   * the broker is not reached (RemotingError) or refuses the registration (JobSchedulerClientError
   * INVALID_REQUEST for a lease out of range or too many handlers, BROKER_ERROR for an ACL denial).
   */
  async start(): Promise<{ cleaned: number }> {
    const registered = await this.register(this.options.cleanStale === true);
    const leaseMs = this.options.leaseMs ?? EXECUTOR_LEASE_MS_DEFAULT;
    this.heartbeat = setInterval(
      () => void this.beat(),
      Math.max(1, Math.floor(leaseMs / EXECUTOR_HEARTBEATS_PER_LEASE)),
    );
    this.polling = this.pollLoop();
    return registered;
  }

  /**
   * Stops polling, aborts the signals of runs still going (their outcome is not reported) and
   * unregisters, so the broker fails those runs, or moves them to another executor under
   * failover routing; then closes the connection and the GLUE workers. Never rejects; a second
   * call does nothing.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const controller of this.running.values()) controller.abort(new Error('executor closing'));
    await this.call(REQUEST_CODE.JOB_EXECUTOR_UNREGISTER, {}).catch(() => undefined);
    this.remoting.close();
    await this.polling;
    await this.glue?.close();
  }

  private register(cleanStale: boolean): Promise<{ cleaned: number }> {
    return this.call(REQUEST_CODE.JOB_EXECUTOR_REGISTER, {
      app: this.options.app ?? '',
      handlers: Object.keys(this.options.handlers),
      glue: this.glue !== undefined,
      leaseMs: this.options.leaseMs ?? EXECUTOR_LEASE_MS_DEFAULT,
      cleanStale,
    });
  }

  private async beat(): Promise<void> {
    try {
      await this.call(REQUEST_CODE.JOB_EXECUTOR_HEARTBEAT, {});
    } catch {
      // The poll loop notices the same failure and registers again.
    }
  }

  private async pollLoop(): Promise<void> {
    while (!this.closed) {
      try {
        const work = await this.call<{ runs: RunAssignment[]; cancels: number[] }>(
          REQUEST_CODE.JOB_EXECUTOR_POLL,
          {},
          EXECUTOR_POLL_TIMEOUT_MS,
        );
        for (const runId of work.cancels) this.running.get(runId)?.abort(new Error('run cancelled'));
        for (const run of work.runs) void this.execute(run);
      } catch (error) {
        if (this.closed) return;
        await new Promise((resolve) => setTimeout(resolve, EXECUTOR_RETRY_DELAY_MS));
        // Unknown to the broker (it restarted, or removed us): register again, keeping our runs.
        if (!(error instanceof JobSchedulerClientError) || error.code === 'UNKNOWN_EXECUTOR')
          await this.register(false).catch(() => undefined);
      }
    }
  }

  private async execute(run: RunAssignment): Promise<void> {
    const controller = new AbortController();
    this.running.set(run.runId, controller);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error('run timed out'));
    }, run.timeoutMs);
    let output = '';
    const log = (line: string): void => {
      output = (output + line + '\n').slice(-EXECUTOR_OUTPUT_TAIL_CHARS_MAX);
    };
    let report: { status: 'succeeded' | 'failed' | 'timedOut'; error?: string };
    try {
      const result = await this.runHandler(run, controller.signal, log);
      if (typeof result === 'string' && result !== '') log(result);
      report = { status: 'succeeded' };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      report = { status: timedOut ? 'timedOut' : 'failed', error: message };
    } finally {
      clearTimeout(timer);
      this.running.delete(run.runId);
    }
    // A cancelled or timed-out run is already ended by the broker, which ignores this report.
    if (this.closed) return;
    await this.call(REQUEST_CODE.JOB_EXECUTOR_REPORT, { runId: run.runId, ...report, output }).catch(() => undefined);
  }

  private async runHandler(
    run: RunAssignment,
    signal: AbortSignal,
    log: (line: string) => void,
  ): Promise<string | void> {
    if (run.glueSource !== undefined) {
      if (this.glue === undefined)
        throw new JobSchedulerClientError('GLUE_DISABLED', 'this executor runs no GLUE jobs');
      const done = await this.glue.run(
        run.glueSource,
        run.params,
        { index: run.shardIndex, count: run.shardCount },
        signal,
      );
      if (done.output !== '') log(done.output);
      return done.result;
    }
    const handler = this.options.handlers[run.handler];
    if (handler === undefined) throw new JobSchedulerClientError('HANDLER_MISSING', `no handler ${run.handler}`);
    const { runId, job, dueMs, params, attempt, shardIndex, shardCount } = run;
    return handler({ runId, job, dueMs, params, attempt, shardIndex, shardCount, signal, log });
  }

  private call<T = void>(code: number, body: object, timeoutMs = SCHEDULER_REQUEST_TIMEOUT_MS_DEFAULT): Promise<T> {
    return schedulerRequest<T>(
      this.remoting,
      this.options.brokerAddress,
      code,
      { ...body, executorId: this.id },
      timeoutMs,
    );
  }
}
