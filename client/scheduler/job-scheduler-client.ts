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

export interface JobSchedulerClientOptions {
  /** 'host:port' of the broker holding the scheduler. */
  readonly brokerAddress: string;
  readonly credentials?: AccessCredentials;
  readonly requestTimeoutMs?: number;
}

export class JobSchedulerClient {
  private readonly remoting: RemotingClient;

  constructor(private readonly options: JobSchedulerClientOptions) {
    this.remoting = new RemotingClient(options.credentials === undefined ? {} : { credentials: options.credentials });
  }

  create(job: JobSpec): Promise<void> {
    return this.call(REQUEST_CODE.JOB_PUT, { mode: 'create', job });
  }

  update(job: JobSpec): Promise<void> {
    return this.call(REQUEST_CODE.JOB_PUT, { mode: 'update', job });
  }

  upsert(job: JobSpec): Promise<void> {
    return this.call(REQUEST_CODE.JOB_PUT, { mode: 'upsert', job });
  }

  async list(): Promise<JobSummary[]> {
    return (await this.call<{ jobs: JobSummary[] }>(REQUEST_CODE.JOB_LIST, {})).jobs;
  }

  describe(name: string): Promise<Record<string, unknown>> {
    return this.call(REQUEST_CODE.JOB_DESCRIBE, { name });
  }

  /** Fires the job now; resolves with the ids of the runs created. */
  async trigger(name: string, params?: string): Promise<number[]> {
    return (await this.call<{ runIds: number[] }>(REQUEST_CODE.JOB_TRIGGER, { name, params })).runIds;
  }

  pause(name: string): Promise<void> {
    return this.call(REQUEST_CODE.JOB_PAUSE, { name });
  }

  resume(name: string): Promise<void> {
    return this.call(REQUEST_CODE.JOB_RESUME, { name });
  }

  /** Cancels the job's active runs (or one run); the executor's handler sees its signal abort. */
  async cancel(target: { name: string } | { runId: number }): Promise<number> {
    return (await this.call<{ cancelled: number }>(REQUEST_CODE.JOB_CANCEL, target)).cancelled;
  }

  delete(name: string): Promise<void> {
    return this.call(REQUEST_CODE.JOB_DELETE, { name });
  }

  /** The run log, newest first. */
  async runs(query: { name?: string; status?: RunStatus; limit?: number } = {}): Promise<JobRun[]> {
    return (await this.call<{ runs: JobRun[] }>(REQUEST_CODE.JOB_RUNS, query)).runs;
  }

  async executors(): Promise<ExecutorInfo[]> {
    return (await this.call<{ executors: ExecutorInfo[] }>(REQUEST_CODE.JOB_EXECUTORS, {})).executors;
  }

  close(): void {
    this.remoting.close();
  }

  private call<T = void>(code: number, body: object): Promise<T> {
    const timeoutMs = this.options.requestTimeoutMs ?? SCHEDULER_REQUEST_TIMEOUT_MS_DEFAULT;
    return schedulerRequest<T>(this.remoting, this.options.brokerAddress, code, body, timeoutMs);
  }
}
