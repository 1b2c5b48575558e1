// Refusals of the job scheduler, with stable codes the processor turns into responses.
export type JobSchedulerErrorCode =
  'INVALID_JOB' | 'JOB_NOT_FOUND' | 'JOB_EXISTS' | 'TOO_MANY_JOBS' | 'UNKNOWN_EXECUTOR' | 'INVALID_REQUEST';

export class JobSchedulerError extends Error {
  override readonly name = 'JobSchedulerError';
  constructor(
    readonly code: JobSchedulerErrorCode,
    message: string,
  ) {
    super(message);
  }
}
