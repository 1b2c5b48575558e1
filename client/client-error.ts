// Failures a client reports to its caller, with stable codes. A broker's refusal keeps the
// broker's response code in `responseCode`.
import { responseCodeName } from '../protocol/response-code.js';

/** Every ClientError code with whether retrying can help and its message. */
export const CLIENT_ERRORS = {
  NOT_STARTED: { retriable: false, message: 'the client is not started' },
  SHUT_DOWN: { retriable: false, message: 'the client has been shut down' },
  INVALID_ARGUMENT: { retriable: false, message: 'an argument is invalid' },
  INVALID_GROUP_NAME: { retriable: false, message: 'the broker accepts no such group name' },
  HEARTBEAT_REFUSED: { retriable: false, message: 'the broker refused the heartbeat' },
  NO_ROUTE: { retriable: true, message: 'no route for the topic on any name server' },
  NO_NAME_SERVER: { retriable: true, message: 'no name server answered' },
  BROKER_ERROR: { retriable: false, message: 'the broker refused the request' },
  BROKER_UNAVAILABLE: { retriable: true, message: 'the broker could not be reached' },
  SEND_FAILED: { retriable: true, message: 'the message could not be sent' },
  TIMEOUT: { retriable: true, message: 'the request timed out' },
  MESSAGE_UNDECODABLE: {
    retriable: false,
    message: 'a pulled message could not be decoded; it is sent back (ending in the DLQ) and the queue moves on',
  },
  GROUP_HAS_MEMBERS: { retriable: false, message: 'the consumer group has live members (--force deletes anyway)' },
  QUEUE_LOCK_LOST: { retriable: true, message: 'an orderly queue lost its broker lock and stops until relocked' },
  LOCK_BUSY: { retriable: true, message: 'the lock is taken' },
  LOCK_WAIT_TIMEOUT: { retriable: true, message: 'the lock was not granted within the wait time' },
  LOCK_NOT_HELD: { retriable: false, message: 'this token holds no lease on the lock (not the owner, or it expired)' },
  // Unique ids (client/ids/).
  ID_SEQUENCE_NOT_FOUND: { retriable: false, message: 'no such id sequence (create it first)' },
  ID_SEQUENCE_EXISTS: { retriable: false, message: 'the id sequence exists with another step' },
  ID_SEQUENCE_EXHAUSTED: { retriable: false, message: 'the id sequence would pass 2^53' },
  ID_WORKERS_EXHAUSTED: { retriable: true, message: 'every worker id of the space is leased' },
  ID_LEASE_LOST: { retriable: false, message: 'the worker id lease ended; this generator hands out no more ids' },
  ID_BUFFER_EMPTY: { retriable: true, message: 'both id ranges are used up and the next is still on its way' },
  ID_SEQUENCE_OVERFLOW: { retriable: true, message: 'the per-millisecond sequence is full' },
  CLOCK_MOVED_BACKWARDS: { retriable: true, message: 'the clock moved backwards further than the wait bound' },
} as const;

/** The stable code of a ClientError (a key of CLIENT_ERRORS). */
export type ClientErrorCode = keyof typeof CLIENT_ERRORS;

/**
 * A failure a client reports: a stable `code` (CLIENT_ERRORS), whether it is `retriable`, and the
 * broker's `responseCode` when a broker refused (`code` BROKER_ERROR).
 */
export class ClientError extends Error {
  override readonly name = 'ClientError';
  readonly code: ClientErrorCode;
  readonly retriable: boolean;
  /** The broker's response code when the broker answered with an error. */
  readonly responseCode: number | undefined;
  /** The broker's hint (SYSTEM_BUSY over a quota): ms to wait before retrying. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: ClientErrorCode,
    detail?: string,
    options?: { cause?: unknown; responseCode?: number; retryAfterMs?: number },
  ) {
    const entry = CLIENT_ERRORS[code];
    super(detail === undefined ? entry.message : `${entry.message}: ${detail}`, { cause: options?.cause });
    this.code = code;
    this.retriable = entry.retriable;
    this.responseCode = options?.responseCode;
    this.retryAfterMs = options?.retryAfterMs;
  }

  /** A BROKER_ERROR for a broker's error response, naming the response code and remark. */
  static fromResponse(code: number, remark: string | undefined, what: string, retryAfterMs?: number): ClientError {
    return new ClientError(
      'BROKER_ERROR',
      `${what}: ${responseCodeName(code)} (${code})${remark ? `: ${remark}` : ''}`,
      { responseCode: code, retryAfterMs },
    );
  }
}
