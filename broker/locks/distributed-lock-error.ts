// Why the broker refused a lock request; each code is the name of the response code it is
// answered with (protocol/response-code.ts), so clients map it back to the same stable code.
export type DistributedLockErrorCode =
  | 'LOCK_BUSY'
  | 'LOCK_WAIT_TIMEOUT'
  | 'LOCK_NOT_HELD'
  | 'LOCK_KIND_MISMATCH'
  | 'LOCK_ALREADY_HELD'
  | 'LOCK_QUEUE_FULL'
  | 'LOCK_BAD_REQUEST'
  | 'LOCK_TOO_MANY';

export class DistributedLockError extends Error {
  override readonly name = 'DistributedLockError';

  constructor(
    readonly code: DistributedLockErrorCode,
    message: string,
  ) {
    super(message);
  }
}
