// A replication stream that breaks its layout (replication-frame.ts): the connection is closed.
export type ReplicationFrameErrorCode = 'FRAME_TOO_LARGE' | 'MALFORMED_FRAME';

export class ReplicationFrameError extends Error {
  override readonly name = 'ReplicationFrameError';

  constructor(
    readonly code: ReplicationFrameErrorCode,
    detail: string,
  ) {
    super(`${code}: ${detail}`);
  }
}
