// A mistake in how the command was called (unknown flag, missing value, bad number): the
// command exits with status 2 and one line naming the mistake, so scripts can tell it from a
// failure of the operation itself (status 1).
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
