// A refusal from the broker's job scheduler, with its stable code (the broker's
// JobSchedulerErrorCode: INVALID_JOB, JOB_NOT_FOUND, JOB_EXISTS, TOO_MANY_JOBS,
// UNKNOWN_EXECUTOR, INVALID_REQUEST) or GLUE_DISABLED / HANDLER_MISSING on the executor.
export class JobSchedulerClientError extends Error {
  override readonly name = 'JobSchedulerClientError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
