// The job scheduler's Admin API: define, change, fire, pause, cancel and delete jobs, and read
// the run log and the live executors, on the broker that holds the scheduler.
//
//   const jobs = new JobSchedulerClient({ brokerAddress: '127.0.0.1:10911' });
//   await jobs.create({ name: 'report', handler: 'report', schedule: { kind: 'cron', expression: '0 3 * * *' } });
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RemotingClient } from '../remoting/remoting-client.js';
import type { AccessCredentials } from '../../protocol/request-signature.js';
import type { ExecutorInfo, JobRun, JobSpec, JobSummary, RunStatus } from './job-spec.js';
import { schedulerRequest } from './scheduler-request.js';
import { SCHEDULER_REQUEST_TIMEOUT_MS_DEFAULT } from './scheduler-client-constants.js';

/** Options of a JobSchedulerClient. Defaults: no credentials, requests time out after 5000 ms. */
export interface JobSchedulerClientOptions {
  /** 'host:port' of the broker holding the scheduler. */
  readonly brokerAddress: string;
  /** Signs each request; under ACL, job management needs an admin account. */
  readonly credentials?: AccessCredentials;
  /** How long a request may take; default SCHEDULER_REQUEST_TIMEOUT_MS_DEFAULT (5000). */
  readonly requestTimeoutMs?: number;
}

/**
 * The job scheduler's Admin API: defines, changes, fires, pauses, cancels and deletes jobs, and
 * reads the run log and the live executors, on the broker that holds the scheduler. A refusal
 * rejects with JobSchedulerClientError and the broker's code (INVALID_JOB, JOB_NOT_FOUND,
 * JOB_EXISTS, TOO_MANY_JOBS, INVALID_REQUEST; BROKER_ERROR for any other, such as an ACL
 * denial); a broker not reached or not answering in time rejects with RemotingError
 * (CONNECT_FAILED, CONNECTION_CLOSED, TIMEOUT).
 */
export class JobSchedulerClient {
  private readonly remoting: RemotingClient;

  constructor(private readonly options: JobSchedulerClientOptions) {
    this.remoting = new RemotingClient(options.credentials === undefined ? {} : { credentials: options.credentials });
  }

  /**
   * Stores a new job and arms its first fire. JOB_EXISTS when the name is taken, INVALID_JOB for
   * a bad definition, TOO_MANY_JOBS past 100,000 jobs.
   */
  create(job: JobSpec): Promise<void> {
    return this.call(REQUEST_CODE.JOB_PUT, { mode: 'create', job });
  }

  /**
   * Replaces an existing job's definition (its runs and pause state stay). JOB_NOT_FOUND when
   * there is no such job, INVALID_JOB for a bad definition.
   */
  update(job: JobSpec): Promise<void> {
    return this.call(REQUEST_CODE.JOB_PUT, { mode: 'update', job });
  }

  /** Creates the job or replaces its definition: create without JOB_EXISTS, update without JOB_NOT_FOUND. */
  upsert(job: JobSpec): Promise<void> {
    return this.call(REQUEST_CODE.JOB_PUT, { mode: 'upsert', job });
  }

  /** Every job, sorted by name, with its schedule, pause state and next due time. */
  async list(): Promise<JobSummary[]> {
    return (await this.call<{ jobs: JobSummary[] }>(REQUEST_CODE.JOB_LIST, {})).jobs;
  }

  /**
   * The job's full record: its definition with defaults filled, pause state, due times, how many
   * runs the log holds (`runCount`) and its active runs (`active`). JOB_NOT_FOUND when there is none.
   */
  describe(name: string): Promise<Record<string, unknown>> {
    return this.call(REQUEST_CODE.JOB_DESCRIBE, { name });
  }

  /**
   * Fires the job now, outside its schedule (with `params` instead of its own, if given); resolves
   * with the ids of the runs created. JOB_NOT_FOUND when there is no such job.
   */
  async trigger(name: string, params?: string): Promise<number[]> {
    return (await this.call<{ runIds: number[] }>(REQUEST_CODE.JOB_TRIGGER, { name, params })).runIds;
  }

  /**
   * Stops the job's scheduled fires until `resume`; active runs go on and `trigger` still fires
   * it. JOB_NOT_FOUND when there is no such job.
   */
  pause(name: string): Promise<void> {
    return this.call(REQUEST_CODE.JOB_PAUSE, { name });
  }

  /** Arms the paused job's next fire, counted from now. JOB_NOT_FOUND when there is none. */
  resume(name: string): Promise<void> {
    return this.call(REQUEST_CODE.JOB_RESUME, { name });
  }

  /**
   * Cancels the job's active runs (or one run); the executor's handler sees its signal abort.
   * Resolves with how many active runs were cancelled; JOB_NOT_FOUND for an unknown job or run.
   */
  async cancel(target: { name: string } | { runId: number }): Promise<number> {
    return (await this.call<{ cancelled: number }>(REQUEST_CODE.JOB_CANCEL, target)).cancelled;
  }

  /** Cancels the job's active runs and removes it and its schedule. JOB_NOT_FOUND when there is none. */
  delete(name: string): Promise<void> {
    return this.call(REQUEST_CODE.JOB_DELETE, { name });
  }

  /**
   * The run log, newest first, of one job or all, optionally of one status; `limit` defaults to
   * 100 (at most 1000). JOB_NOT_FOUND for an unknown job, INVALID_REQUEST for an unknown status.
   */
  async runs(query: { name?: string; status?: RunStatus; limit?: number } = {}): Promise<JobRun[]> {
    return (await this.call<{ runs: JobRun[] }>(REQUEST_CODE.JOB_RUNS, query)).runs;
  }

  /** The executors registered now, with their handlers, running runs and leases. */
  async executors(): Promise<ExecutorInfo[]> {
    return (await this.call<{ executors: ExecutorInfo[] }>(REQUEST_CODE.JOB_EXECUTORS, {})).executors;
  }

  /** Closes the connection; requests still pending reject with RemotingError CLIENT_CLOSED. */
  close(): void {
    this.remoting.close();
  }

  private call<T = void>(code: number, body: object): Promise<T> {
    const timeoutMs = this.options.requestTimeoutMs ?? SCHEDULER_REQUEST_TIMEOUT_MS_DEFAULT;
    return schedulerRequest<T>(this.remoting, this.options.brokerAddress, code, body, timeoutMs);
  }
}
