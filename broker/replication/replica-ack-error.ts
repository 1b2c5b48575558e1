// A sync master could not get a send acknowledged by enough in-sync replicas. The message is
// in the master's log; the response code tells the producer so, as RocketMQ's does.
import { RESPONSE_CODE } from '../../protocol/response-code.js';

export type ReplicaAckErrorCode = 'SLAVE_NOT_AVAILABLE' | 'FLUSH_SLAVE_TIMEOUT';

export class ReplicaAckError extends Error {
  override readonly name = 'ReplicaAckError';
  readonly responseCode: number;

  constructor(
    readonly code: ReplicaAckErrorCode,
    detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.responseCode = RESPONSE_CODE[code];
  }
}
