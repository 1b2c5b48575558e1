// Errors that mean a bug, not a failure of the broker, the network or the message: a loop
// that retries failures must let these through (report them and stop) instead of retrying a
// bug forever in silence. Expected failures are typed errors with codes (ClientError,
// RemotingError) and are never among these.
import { AssertionError } from 'node:assert';

/** True for a bug: a TypeError, ReferenceError, RangeError, SyntaxError or failed assertion. */
export function isProgrammerError(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    error instanceof ReferenceError ||
    error instanceof RangeError ||
    error instanceof SyntaxError ||
    error instanceof AssertionError
  );
}
