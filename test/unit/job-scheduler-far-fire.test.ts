// A fire due further ahead than the timer topic holds messages (3 days) is held in hops and
// fires once, at its due time; before the fix arming it threw INVALID_MESSAGE. In-process, on a
// fake clock: the broker's own writer, delayed delivery and scheduler over one store.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'uvu';

import { MessageWriter } from '../../broker/delivery/message-writer.js';
import { PullRequestHoldService } from '../../broker/delivery/pull-request-hold-service.js';
import { ScheduleMessageService } from '../../broker/delivery/schedule-message-service.js';
import { JobSchedulerService } from '../../broker/scheduler/job-scheduler-service.js';
import { checkJobDefinition } from '../../broker/scheduler/job-definition-check.js';
import { MessageStore } from '../../storage/index.js';
import { pollUntil } from '../support/broker-requests.js';
import { TEST_STORE_OPTIONS } from '../support/broker-processes.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const START_MS = 1_700_000_000_000;
const DAY_MS = 24 * 3600_000;
const WAIT_MS = 10_000;

test('a one-shot job due in 10 days is held in hops past the timer limit and fires once, on time', async () => {
  const directory = temporaryDirectory('job-far-fire');
  const clock = { ms: START_MS };
  const now = (): number => clock.ms;
  const store = await MessageStore.open(path.join(directory.path, 'store'), { ...TEST_STORE_OPTIONS, clock: now });
  const onError = (error: unknown, context: string): void => assert.fail(`${context}: ${String(error)}`);
  const writer = new MessageWriter(store, new PullRequestHoldService(), [1000], now);
  const delivery = new ScheduleMessageService(store, writer, directory.path, [1000], onError, now);
  const scheduler = new JobSchedulerService(store, writer, directory.path, onError, now);
  try {
    await scheduler.start();
    const atMs = START_MS + 10 * DAY_MS;
    await scheduler.putJob(
      checkJobDefinition({ name: 'far', handler: 'h', schedule: { kind: 'once', atMs } }),
      'create',
    );
    const runs = (): number => scheduler.job('far').runIds.length;
    for (let day = 1; day <= 12; day++) {
      clock.ms = START_MS + day * DAY_MS;
      await delivery.tick();
      const expected = clock.ms >= atMs ? 1 : 0;
      await pollUntil(`fires by day ${day}`, WAIT_MS, () =>
        scheduler.state.fireCursor >= store.maxQueueOffset('TRIBUTARY_JOB_FIRE', 0) ? true : undefined,
      );
      assert.equal(runs(), expected, `runs on day ${day}`);
    }
    const [runId] = scheduler.job('far').runIds;
    assert.equal(scheduler.state.runs.get(runId!)!.dueMs, atMs);
  } finally {
    await scheduler.stop();
    await delivery.stop();
    await store.close();
    directory.remove();
  }
});

test.run();
