// A hot-path assertion. node:assert's ok() gathers its arguments into an array on every call;
// this costs a compare and a branch until the day it fails, and then it crashes the same way.
import { AssertionError } from 'node:assert';

export function invariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new AssertionError({ message, stackStartFn: invariant });
}
