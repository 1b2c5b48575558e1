// A failure the CLI reports as one line (exit status 1): client errors are turned into what
// an operator can act on ("topic 'x' does not exist", "cannot reach name server ...") instead
// of the library's wording, which names protocol codes.
import { ClientError } from '../client/index.js';
import { RESPONSE_CODE } from '../protocol/response-code.js';
import { EXIT_CODE_FAILURE } from './cli-constants.js';
import { UsageError } from './usage-error.js';

export class CliFailure extends Error {
  override readonly name = 'CliFailure';

  constructor(
    message: string,
    readonly exitCode = EXIT_CODE_FAILURE,
  ) {
    super(message);
  }
}

/** What the command was working on, to name it in the message. */
export interface FailureSubject {
  readonly topic?: string;
  readonly nameServer?: string;
}

export function cliFailure(error: unknown, subject: FailureSubject = {}): CliFailure | UsageError {
  if (error instanceof CliFailure || error instanceof UsageError) return error;
  if (!(error instanceof ClientError)) return new CliFailure(systemMessage(error));
  const missingTopic = error.code === 'NO_ROUTE' || error.responseCode === RESPONSE_CODE.TOPIC_NOT_EXIST;
  if (missingTopic && subject.topic !== undefined) return new CliFailure(`topic '${subject.topic}' does not exist`);
  if (error.code === 'NO_NAME_SERVER') {
    return new CliFailure(`cannot reach name server ${subject.nameServer ?? error.message}`);
  }
  if (error.code === 'SEND_FAILED' && error.cause !== undefined) return cliFailure(error.cause, subject);
  return new CliFailure(error.message);
}

/** Node's errors (EADDRINUSE, EACCES, ...) carry a code and a message that already names them. */
function systemMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { code, address, port } = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (code === 'EADDRINUSE') return `cannot listen on ${address ?? ''}:${port ?? ''}: the address is already in use`;
  if (code === 'EACCES' && port !== undefined) return `cannot listen on ${address ?? ''}:${port}: permission denied`;
  return error.message;
}
