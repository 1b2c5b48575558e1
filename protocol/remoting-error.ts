// Transport and protocol failures of the remoting layer, with stable codes.

export const REMOTING_ERRORS = {
  FRAME_TOO_LARGE: { retriable: false, message: 'frame length exceeds the limit (at most 16 MiB)' },
  MALFORMED_FRAME: { retriable: false, message: 'frame lengths are inconsistent' },
  MALFORMED_HEADER: { retriable: false, message: 'the command header cannot be decoded' },
  UNSUPPORTED_SERIALIZE_TYPE: { retriable: false, message: 'unknown header serialize type' },
  FRAME_BUDGET_EXCEEDED: {
    retriable: true,
    message: "the server's budget for unfinished frames of all connections is used up",
  },
  HEADER_REFUSED: { retriable: false, message: 'the request header was refused before its body arrived' },
  TIMEOUT: { retriable: true, message: 'no response within the timeout' },
  CONNECT_FAILED: { retriable: true, message: 'cannot connect' },
  CONNECTION_CLOSED: { retriable: true, message: 'the connection closed before the response' },
  CLIENT_CLOSED: { retriable: false, message: 'the remoting client is closed' },
  TOO_MANY_IN_FLIGHT: { retriable: true, message: 'too many requests in flight on this connection' },
  WRITE_STALLED: { retriable: true, message: 'the peer read nothing of a response for too long' },
} as const;

export type RemotingErrorCode = keyof typeof REMOTING_ERRORS;

export class RemotingError extends Error {
  override readonly name = 'RemotingError';
  readonly code: RemotingErrorCode;
  readonly retriable: boolean;

  constructor(code: RemotingErrorCode, detail?: string, options?: { cause?: unknown }) {
    const entry = REMOTING_ERRORS[code];
    super(detail === undefined ? entry.message : `${entry.message}: ${detail}`, options);
    this.code = code;
    this.retriable = entry.retriable;
  }
}
