// A refusal from the broker's job scheduler, with its stable code (the broker's
// JobSchedulerErrorCode: INVALID_JOB, JOB_NOT_FOUND, JOB_EXISTS, TOO_MANY_JOBS,
// UNKNOWN_EXECUTOR, INVALID_REQUEST) or GLUE_DISABLED / HANDLER_MISSING on the executor.
/**
 * A refusal from the broker's job scheduler, with its stable `code`: INVALID_JOB (a bad job
 * definition, naming the field), JOB_NOT_FOUND (no such job or run), JOB_EXISTS (create of a
 * taken name), TOO_MANY_JOBS, UNKNOWN_EXECUTOR (an executor the broker does not know, which
 * registers again), INVALID_REQUEST (a malformed request), BROKER_ERROR (any other refusal, such
 * as an ACL denial); and, reported by an executor as a run's error, GLUE_DISABLED and
 * HANDLER_MISSING.
 */
export class JobSchedulerClientError extends Error {
  override readonly name = 'JobSchedulerClientError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
