// Background errors go to the operator's log, but a misbehaving or hostile client can cause
// thousands a second (every bad frame closes a connection with an error). Past
// ERROR_LINES_PER_SECOND_MAX lines in a second the rest are counted, not printed, and one line
// says how many were held back, so the log stays readable and the disk is not flooded.
export const ERROR_LINES_PER_SECOND_MAX = 20;
const WINDOW_MS = 1000;

export type ErrorLog = (error: unknown, context: string) => void;

/** Wraps `report` so that at most ERROR_LINES_PER_SECOND_MAX errors a second reach it. */
export function rateLimitedErrorLog(
  report: ErrorLog,
  writeLine: (line: string) => void = (line) => console.error(line),
  now: () => number = Date.now,
): ErrorLog {
  let windowStart = Number.NEGATIVE_INFINITY;
  let printed = 0;
  let suppressed = 0;
  return (error, context) => {
    const at = now();
    if (at - windowStart >= WINDOW_MS) {
      if (suppressed > 0) writeLine(`tributary broker: ${suppressed} more errors in the last second not shown`);
      windowStart = at;
      printed = 0;
      suppressed = 0;
    }
    if (printed < ERROR_LINES_PER_SECOND_MAX) {
      printed++;
      report(error, context);
    } else {
      suppressed++;
    }
  };
}
