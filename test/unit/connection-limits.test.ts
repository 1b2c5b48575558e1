// The connection limits' defaults and checks, and the write backlog's age accounting that the
// stall check relies on (server/write-backlog.ts, whose top comment this walks through).
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { resolveConnectionLimits } from '../../server/connection-limits.js';
import { WriteBacklog } from '../../server/write-backlog.js';

test('connection-limits: defaults are RocketMQ-like (10,000 connections, 120 s idle, 16 MiB frames, 30 s stall)', () => {
  assert.deepEqual(resolveConnectionLimits(), {
    maxConnections: 10_000,
    idleTimeoutMs: 120_000,
    maxFrameBytes: 16 * 1024 * 1024,
    maxInFlightPerConnection: 4096,
    writeHighWaterBytes: 8 * 1024 * 1024,
    writeStallTimeoutMs: 30_000,
    unfinishedFrameBudgetBytes: 256 * 1024 * 1024,
  });
  assert.equal(resolveConnectionLimits({ maxConnections: 5 }).maxConnections, 5);
});

test('connection-limits: an unfinished-frame budget under one frame is refused (it would refuse frames the limit allows)', () => {
  assert.throws(
    () => resolveConnectionLimits({ maxFrameBytes: 4 * 1024 * 1024, unfinishedFrameBudgetBytes: 1024 * 1024 }),
    /unfinishedFrameBudgetBytes must be at least maxFrameBytes/,
  );
  assert.equal(
    resolveConnectionLimits({ maxFrameBytes: 1024, unfinishedFrameBudgetBytes: 1024 }).unfinishedFrameBudgetBytes,
    1024,
  );
});

test('connection-limits: a limit that is not a positive integer, a frame over 16 MiB or a timer over 2^31 ms is refused', () => {
  for (const limits of [
    { maxConnections: 0 },
    { idleTimeoutMs: -1 },
    { maxInFlightPerConnection: 1.5 },
    { writeHighWaterBytes: Number.NaN },
    { maxFrameBytes: 16 * 1024 * 1024 + 1 },
    { writeStallTimeoutMs: 2 ** 31 },
  ]) {
    assert.throws(() => resolveConnectionLimits(limits), RangeError, JSON.stringify(limits));
  }
});

test('write-backlog: the oldest pending byte ages from its own send, across sends and completions', () => {
  const backlog = new WriteBacklog(1000);
  assert.equal(backlog.oldestAgeMs(0, 0), 0);
  backlog.sent(100, 0); // A
  backlog.sent(50, 5000); // B
  assert.equal(backlog.oldestAgeMs(150, 6000), 6000);
  assert.equal(backlog.oldestAgeMs(80, 7000), 7000, '70 bytes completed: A still waits');
  assert.equal(backlog.oldestAgeMs(30, 8000), 3000, "A is done: B's bytes are the oldest");
  assert.equal(backlog.oldestAgeMs(0, 9000), 0, 'everything sent');
  backlog.sent(10, 9500);
  assert.equal(backlog.oldestAgeMs(10, 9600), 100, 'a new backlog ages from its own send');
});

test('write-backlog: sends within the granularity share a mark, overstating an age by less than it', () => {
  const backlog = new WriteBacklog(1000);
  for (let t = 0; t < 900; t += 100) backlog.sent(10, t);
  // 90 bytes pending from sends at 0..800 ms: one mark, dated at the first.
  assert.equal(backlog.oldestAgeMs(40, 2000), 2000, 'the last sends are judged by the first one');
  assert.equal(backlog.oldestAgeMs(0, 2000), 0);
  backlog.sent(0, 2100);
  assert.equal(backlog.oldestAgeMs(0, 5000), 0, 'a send that left nothing pending starts no clock');
});

test.run();
