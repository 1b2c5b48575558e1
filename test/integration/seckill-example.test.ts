// examples/seckill runs as documented, with small numbers: a burst far above the database's
// rate, exactly `stock` orders succeed (no oversell), none is lost, and the database never takes
// more than its capacity in a second.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

const SCRIPT = fileURLToPath(new URL('../../examples/seckill/seckill.js', import.meta.url));
const RUN_TIMEOUT_MS = 120_000;

test('the seckill example sells exactly its stock under a 20,000 requests/s burst, losing nothing', async () => {
  const args = ['--requests', '4000', '--arrival-per-s', '20000', '--stock', '250', '--db-per-s', '400'];
  const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT, ...args], { timeout: RUN_TIMEOUT_MS });
  const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number>;
  assert.equal(summary.ordersSucceeded, 250, 'exactly the stock sells');
  assert.equal(summary.oversold, 0);
  assert.equal(summary.lost, 0);
  assert.equal(summary.sendFailures, 0);
  assert.equal(summary.rejectedSoldOut, 4000 - 250);
  assert.ok(summary.databasePeakPerS! <= 400, `the database took ${summary.databasePeakPerS} in a second`);
});

test.run();
