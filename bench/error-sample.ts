// The first few distinct errors a benchmark's load met, for its summary: a failing run reports
// why without flooding the output with one line per failed message.
import { BENCH_ERRORS_KEPT_MAX } from './bench-constants.js';

export class ErrorSample {
  private readonly seen = new Set<string>();

  /** Notes `error` unless BENCH_ERRORS_KEPT_MAX distinct ones are kept already. */
  readonly note = (error: unknown): void => {
    if (this.seen.size >= BENCH_ERRORS_KEPT_MAX) return;
    this.seen.add(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  };

  get errors(): string[] {
    return [...this.seen];
  }
}
