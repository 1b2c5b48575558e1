import assert from 'node:assert/strict';
import { test } from 'uvu';

import { ERROR_LINES_PER_SECOND_MAX, rateLimitedErrorLog } from '../../server/rate-limited-error-log.js';

test('error log: a flood prints at most the per-second maximum and one line counting the rest', () => {
  const reported: string[] = [];
  const lines: string[] = [];
  let now = 0;
  const log = rateLimitedErrorLog(
    (_error, context) => reported.push(context),
    (line) => lines.push(line),
    () => now,
  );
  for (let i = 0; i < 1000; i++) log(new Error('bad frame'), `connection ${i}`);
  assert.equal(reported.length, ERROR_LINES_PER_SECOND_MAX);
  assert.deepEqual(lines, []);
  now += 1000;
  log(new Error('bad frame'), 'next second');
  assert.equal(reported.at(-1), 'next second', 'a new second prints again');
  assert.deepEqual(lines, [
    `tributary broker: ${1000 - ERROR_LINES_PER_SECOND_MAX} more errors in the last second not shown`,
  ]);
});

test.run();
