// A replication stream that breaks its layout (replication-frame.ts), carries a damaged or
// oversized state machine snapshot, or names a machine this broker does not have: the
// connection is closed.
export type ReplicationFrameErrorCode =
  'FRAME_TOO_LARGE' | 'MALFORMED_FRAME' | 'SNAPSHOT_TOO_LARGE' | 'SNAPSHOT_DAMAGED' | 'UNKNOWN_STATE_MACHINE';

export class ReplicationFrameError extends Error {
  override readonly name = 'ReplicationFrameError';

  constructor(
    readonly code: ReplicationFrameErrorCode,
    detail: string,
  ) {
    super(`${code}: ${detail}`);
  }
}
