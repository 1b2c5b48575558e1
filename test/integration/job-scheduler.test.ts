// The job scheduler with real processes: a broker child holding the scheduler and JobExecutor
// children (children/job-executor-child.ts), SIGKILLed where the issue asks.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';

import { JobSchedulerClient, JobSchedulerClientError, type JobRun, type JobSpec } from '../../client/index.js';
import type { ExecutorChildConfig } from './children/job-executor-child.js';
import { startBrokerProcess, type BrokerProcess } from '../support/broker-processes.js';
import { pollUntil } from '../support/broker-requests.js';
import { JsonLineChild } from '../support/json-line-child.js';
import { runCli } from '../support/run-cli.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const CHILD_SCRIPT = fileURLToPath(new URL('./children/job-executor-child.js', import.meta.url));
const WAIT_MS = 20_000;
const FIXED_RATE_MS = 200;

interface Rig {
  readonly broker: BrokerProcess;
  readonly jobs: JobSchedulerClient;
  readonly executors: JsonLineChild[];
  executor(id: string, handlers: string[], extra?: Partial<ExecutorChildConfig>): Promise<JsonLineChild>;
  close(): Promise<void>;
}

async function startRig(label: string): Promise<Rig> {
  const directory = temporaryDirectory(label);
  const broker = await startBrokerProcess({ dataDirectory: directory.path, label });
  const jobs = new JobSchedulerClient({ brokerAddress: broker.address });
  const executors: JsonLineChild[] = [];
  return {
    broker,
    jobs,
    executors,
    async executor(id, handlers, extra = {}) {
      const config: ExecutorChildConfig = { brokerAddress: broker.address, executorId: id, handlers, ...extra };
      const child = JsonLineChild.spawn(CHILD_SCRIPT, [JSON.stringify(config)], { label: id });
      executors.push(child);
      await child.waitFor(`${id} ready`, WAIT_MS, (lines) => lines.find((line) => line.event === 'ready'));
      return child;
    },
    async close() {
      jobs.close();
      await Promise.all(executors.map((child) => child.terminate('SIGKILL', 1000)));
      await broker.stop();
      directory.remove();
    },
  };
}

function runsUntil(
  jobs: JobSchedulerClient,
  query: { name: string },
  what: string,
  done: (runs: JobRun[]) => boolean,
): Promise<JobRun[]> {
  return pollUntil(what, WAIT_MS, async () => {
    const runs = await jobs.runs({ ...query, limit: 1000 });
    return done(runs) ? runs : undefined;
  });
}

const startOf = (child: JsonLineChild, runId: number): Record<string, unknown> | undefined =>
  child.lines.find((line) => line.event === 'start' && line.runId === runId);

test('a fixed-rate job fires each due time exactly once across two broker SIGKILLs', async () => {
  const rig = await startRig('job-exactly-once');
  try {
    await rig.executor('exec-tick', ['tick']);
    const startAtMs = Date.now() + 500;
    const job: JobSpec = {
      name: 'tick',
      handler: 'tick',
      schedule: { kind: 'fixedRate', everyMs: FIXED_RATE_MS, startAtMs },
    };
    await rig.jobs.create(job);
    const fired = async (count: number): Promise<void> => {
      await runsUntil(rig.jobs, { name: 'tick' }, `${count} fires`, (runs) => runs.length >= count);
    };
    await fired(5);
    for (let kill = 0; kill < 2; kill++) {
      await rig.broker.kill();
      await rig.broker.restart();
      const before = (await rig.jobs.runs({ name: 'tick', limit: 1000 })).length;
      await fired(before + 5);
    }
    await rig.jobs.pause('tick');
    const runs = (await rig.jobs.runs({ name: 'tick', limit: 1000 })).filter((run) => run.trigger === 'schedule');
    const dues = runs.map((run) => run.dueMs).sort((a, b) => a - b);
    assert.equal(new Set(dues).size, dues.length, `a due time fired twice: ${dues.join(',')}`);
    for (const due of dues) assert.equal((due - startAtMs) % FIXED_RATE_MS, 0, `due ${due} is off the schedule`);
    // Downtime was far below the misfire threshold, so every due time in between fired (late).
    const expected = (dues.at(-1)! - dues[0]!) / FIXED_RATE_MS + 1;
    assert.equal(dues.length, expected, `missed due times: ${dues.join(',')}`);
    assert.equal(dues[0], startAtMs);
  } finally {
    await rig.close();
  }
});

test('sharding broadcast gives each of 3 executor processes its shard index and the count', async () => {
  const rig = await startRig('job-sharding');
  try {
    for (const id of ['exec-1', 'exec-2', 'exec-3']) await rig.executor(id, ['shard']);
    await rig.jobs.create({ name: 'shard', handler: 'shard', routing: 'shardingBroadcast' });
    await rig.jobs.trigger('shard');
    const runs = await runsUntil(
      rig.jobs,
      { name: 'shard' },
      '3 shards succeeded',
      (all) => all.filter((run) => run.status === 'succeeded').length === 3,
    );
    assert.deepEqual(runs.map((run) => run.shardIndex).sort(), [0, 1, 2]);
    assert.ok(runs.every((run) => run.shardCount === 3));
    assert.equal(new Set(runs.map((run) => run.executor)).size, 3);
    for (const [index, child] of rig.executors.entries()) {
      const started = child.lines.filter((line) => line.event === 'start');
      assert.equal(started.length, 1, `executor ${index} ran ${started.length} shards`);
    }
  } finally {
    await rig.close();
  }
});

test('failover: a run whose executor is SIGKILLed mid-run finishes on the next executor', async () => {
  const rig = await startRig('job-failover');
  try {
    const first = await rig.executor('exec-a', ['work']);
    const second = await rig.executor('exec-b', ['work']);
    await rig.jobs.create({ name: 'work', handler: 'work', routing: 'failover', params: '{"sleepMs":1500}' });
    const [runId] = await rig.jobs.trigger('work');
    await first.waitFor('exec-a starts the run', WAIT_MS, () => startOf(first, runId!));
    await first.terminate('SIGKILL', 1000);
    const runs = await runsUntil(rig.jobs, { name: 'work' }, 'the run succeeded', (all) =>
      all.some((run) => run.status === 'succeeded'),
    );
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.executor, 'exec-b');
    assert.ok(startOf(second, runId!));
    assert.ok(
      (await rig.jobs.executors()).every((executor) => executor.id !== 'exec-a'),
      'the dead executor is removed',
    );
  } finally {
    await rig.close();
  }
});

test('concurrency policies: serial queues the later fire, discardLater drops it, cancelRunning aborts the running one', async () => {
  const rig = await startRig('job-concurrency');
  try {
    const child = await rig.executor('exec-c', ['slow']);
    const slow = { handler: 'slow', params: '{"sleepMs":800}' };
    await rig.jobs.create({ name: 'serial', ...slow, concurrency: 'serial' });
    await rig.jobs.create({ name: 'discard', ...slow, concurrency: 'discardLater' });
    await rig.jobs.create({ name: 'cancel', ...slow, concurrency: 'cancelRunning' });
    const ends = (name: string): Promise<JobRun[]> =>
      runsUntil(
        rig.jobs,
        { name },
        `${name} settled`,
        (runs) => runs.length === 2 && runs.every((run) => !['queued', 'running'].includes(run.status)),
      );
    for (const name of ['serial', 'discard', 'cancel']) {
      const [first] = await rig.jobs.trigger(name);
      await child.waitFor(`${name} first run starts`, WAIT_MS, () => startOf(child, first!));
      await rig.jobs.trigger(name);
    }
    const [serialLater, serialFirst] = await ends('serial');
    assert.equal(serialFirst!.status, 'succeeded');
    assert.equal(serialLater!.status, 'succeeded');
    assert.ok(serialLater!.startedAtMs! >= serialFirst!.endedAtMs!, 'the later serial fire waited');
    const [discardLater, discardFirst] = await ends('discard');
    assert.equal(discardFirst!.status, 'succeeded');
    assert.equal(discardLater!.status, 'discarded');
    const [cancelLater, cancelFirst] = await ends('cancel');
    assert.equal(cancelFirst!.status, 'cancelled');
    assert.equal(cancelLater!.status, 'succeeded');
    await child.waitFor('the cancelled handler saw its signal abort', WAIT_MS, (lines) =>
      lines.find((line) => line.event === 'end' && line.runId === cancelFirst!.id && line.aborted === true),
    );
  } finally {
    await rig.close();
  }
});

test('a dependency chain fires each child after its parent succeeds, and a failed parent fires none', async () => {
  const rig = await startRig('job-chain');
  try {
    await rig.executor('exec-d', ['step']);
    await rig.jobs.create({ name: 'c', handler: 'step' });
    await rig.jobs.create({ name: 'b', handler: 'step', children: ['c'] });
    await rig.jobs.create({ name: 'a', handler: 'step', children: ['b'] });
    await rig.jobs.create({ name: 'broken', handler: 'step', params: '{"fail":true}', children: ['c'] });
    await rig.jobs.trigger('a');
    const [c] = await runsUntil(rig.jobs, { name: 'c' }, 'c ran', (runs) =>
      runs.some((run) => run.status === 'succeeded'),
    );
    const [b] = await rig.jobs.runs({ name: 'b' });
    const [a] = await rig.jobs.runs({ name: 'a' });
    assert.equal(b!.trigger, 'parent');
    assert.ok(a!.endedAtMs! <= b!.startedAtMs! && b!.endedAtMs! <= c!.startedAtMs!);
    await rig.jobs.trigger('broken');
    await runsUntil(rig.jobs, { name: 'broken' }, 'broken failed', (runs) => runs[0]?.status === 'failed');
    assert.equal((await rig.jobs.runs({ name: 'c' })).length, 1, 'a failed parent fired its child');
  } finally {
    await rig.close();
  }
});

test('cancelling a running job aborts the handler signal and records the run cancelled', async () => {
  const rig = await startRig('job-cancel');
  try {
    const child = await rig.executor('exec-e', ['long']);
    await rig.jobs.create({ name: 'long', handler: 'long', params: '{"sleepMs":60000}', timeoutMs: 120_000 });
    const [runId] = await rig.jobs.trigger('long');
    await child.waitFor('the run starts', WAIT_MS, () => startOf(child, runId!));
    assert.equal(await rig.jobs.cancel({ name: 'long' }), 1);
    await child.waitFor('the handler aborted', WAIT_MS, (lines) =>
      lines.find((line) => line.event === 'end' && line.runId === runId && line.aborted === true),
    );
    const [run] = await rig.jobs.runs({ name: 'long' });
    assert.equal(run!.status, 'cancelled');
  } finally {
    await rig.close();
  }
});

test('GLUE is off by default, and when on runs outside the executor scope within its time limit', async () => {
  const rig = await startRig('job-glue');
  try {
    const plain = await rig.executor('exec-plain', ['probe']);
    await rig.jobs.create({
      name: 'glue',
      glueSource: 'log("hi " + params); return typeof behave + "/" + typeof config;',
      params: 'p',
    });
    await rig.jobs.create({ name: 'probe', handler: 'probe' });
    const [glueRun] = await rig.jobs.trigger('glue');
    const [probeRun] = await rig.jobs.trigger('probe');
    await runsUntil(rig.jobs, { name: 'probe' }, 'the probe ran', (runs) => runs[0]?.status === 'succeeded');
    assert.ok(!plain.lines.some((line) => line.runId === glueRun), 'a plain executor ran GLUE');
    assert.equal((await rig.jobs.runs({ name: 'glue' }))[0]!.status, 'queued', 'GLUE ran with no opted-in executor');
    assert.ok(startOf(plain, probeRun!));
    await rig.executor('exec-glue', [], { glue: true });
    const [done] = await runsUntil(
      rig.jobs,
      { name: 'glue' },
      'the GLUE run ended',
      (runs) => runs[0]?.status === 'succeeded',
    );
    assert.equal(done!.executor, 'exec-glue');
    assert.match(done!.output ?? '', /hi p/);
    assert.match(done!.output ?? '', /undefined\/undefined/);
    await rig.jobs.create({ name: 'spin', glueSource: 'for (;;) {}', timeoutMs: 500 });
    await rig.jobs.trigger('spin');
    const [spun] = await runsUntil(
      rig.jobs,
      { name: 'spin' },
      'the endless GLUE timed out',
      (runs) => runs[0]?.status === 'timedOut',
    );
    assert.ok(spun!.endedAtMs! - spun!.startedAtMs! < 5000);
    await rig.jobs.trigger('glue');
    await runsUntil(
      rig.jobs,
      { name: 'glue' },
      'GLUE still runs after the time limit',
      (runs) => runs.filter((run) => run.status === 'succeeded').length === 2,
    );
  } finally {
    await rig.close();
  }
});

test('after downtime past the misfire threshold, skip records the missed fire skipped and fireOnce runs it once', async () => {
  const rig = await startRig('job-misfire');
  try {
    await rig.executor('exec-m', ['tick']);
    const schedule = { kind: 'fixedRate', everyMs: FIXED_RATE_MS } as const;
    await rig.jobs.create({ name: 'skip', handler: 'tick', schedule, misfire: 'skip', misfireThresholdMs: 300 });
    await rig.jobs.create({ name: 'once', handler: 'tick', schedule, misfire: 'fireOnce', misfireThresholdMs: 300 });
    for (const name of ['skip', 'once'])
      await runsUntil(rig.jobs, { name }, `${name} fires`, (runs) => runs.length >= 2);
    await rig.broker.kill();
    const downSince = Date.now();
    // The downtime itself is the condition: 1.5 s, five periods, well past the 300 ms threshold.
    await pollUntil('1.5 s of downtime', WAIT_MS, () => (Date.now() - downSince >= 1500 ? true : undefined));
    await rig.broker.restart();
    const upAt = Date.now();
    for (const name of ['skip', 'once'])
      await runsUntil(rig.jobs, { name }, `${name} runs a fire due after the restart`, (runs) =>
        runs.some((run) => run.dueMs > upAt && run.status === 'succeeded'),
      );
    // Due times: a grid with one jump over the downtime; the fire at the jump's start is the
    // misfire (armed before the kill, read after the restart).
    const misfireOf = (runs: JobRun[]): JobRun => {
      const sorted = [...runs].sort((a, b) => a.dueMs - b.dueMs);
      assert.equal(new Set(sorted.map((run) => run.dueMs)).size, sorted.length, 'a due time fired twice');
      const jumps = sorted.slice(0, -1).filter((run, i) => sorted[i + 1]!.dueMs - run.dueMs > FIXED_RATE_MS);
      assert.equal(jumps.length, 1, `one jump over the downtime: ${sorted.map((run) => run.dueMs).join(',')}`);
      return jumps[0]!;
    };
    const skipRuns = await rig.jobs.runs({ name: 'skip', limit: 1000 });
    const onceRuns = await rig.jobs.runs({ name: 'once', limit: 1000 });
    const skipped = misfireOf(skipRuns);
    assert.equal(skipped.status, 'skipped', 'skip ran the missed fire');
    assert.deepEqual(
      skipRuns.filter((run) => run.status === 'skipped'),
      [skipped],
    );
    const once = misfireOf(onceRuns);
    assert.equal(once.status, 'succeeded', 'fireOnce did not run the missed fire');
    assert.ok(once.startedAtMs! > downSince + 1500 && once.dueMs < upAt, 'the missed fire ran late, after the restart');
    assert.ok(onceRuns.every((run) => run.status !== 'skipped'));
  } finally {
    await rig.close();
  }
});

test('an executor that stops answering (SIGSTOP) is removed after its lease and its run fails over', async () => {
  const rig = await startRig('job-lease');
  try {
    const frozen = await rig.executor('exec-a', ['work'], { leaseMs: 600 });
    await rig.executor('exec-b', ['work'], { leaseMs: 600 });
    await rig.jobs.create({ name: 'work', handler: 'work', routing: 'failover', params: '{"sleepMs":300}' });
    const [runId] = await rig.jobs.trigger('work');
    await frozen.waitFor('exec-a starts the run', WAIT_MS, () => startOf(frozen, runId!));
    process.kill(frozen.pid!, 'SIGSTOP');
    try {
      const [run] = await runsUntil(
        rig.jobs,
        { name: 'work' },
        'the run succeeded elsewhere',
        (runs) => runs[0]?.status === 'succeeded',
      );
      assert.equal(run!.executor, 'exec-b');
      assert.deepEqual(
        (await rig.jobs.executors()).map((executor) => executor.id),
        ['exec-b'],
      );
    } finally {
      process.kill(frozen.pid!, 'SIGCONT');
    }
  } finally {
    await rig.close();
  }
});

test('a failing run is retried with doubling back-off up to its retries, then recorded failed', async () => {
  const rig = await startRig('job-retries');
  try {
    await rig.executor('exec-r', ['flaky']);
    await rig.jobs.create({
      name: 'flaky',
      handler: 'flaky',
      params: '{"fail":true}',
      retries: 2,
      retryBackoffMs: 150,
    });
    await rig.jobs.trigger('flaky');
    const runs = await runsUntil(
      rig.jobs,
      { name: 'flaky' },
      'three failed attempts',
      (all) => all.length === 3 && all.every((run) => run.status === 'failed'),
    );
    const [third, second, first] = runs;
    assert.deepEqual([first!.attempt, second!.attempt, third!.attempt], [1, 2, 3]);
    assert.equal(first!.error, 'asked to fail');
    assert.ok(second!.startedAtMs! - first!.endedAtMs! >= 150, 'first back-off');
    assert.ok(third!.startedAtMs! - second!.endedAtMs! >= 300, 'second back-off doubles');
  } finally {
    await rig.close();
  }
});

test('an executor restarting with cleanStale fails the runs the broker still records as running on it', async () => {
  const rig = await startRig('job-clean-stale');
  try {
    const first = await rig.executor('exec-s', ['long']);
    await rig.jobs.create({ name: 'long', handler: 'long', params: '{"sleepMs":60000}', timeoutMs: 120_000 });
    const [runId] = await rig.jobs.trigger('long');
    await first.waitFor('the run starts', WAIT_MS, () => startOf(first, runId!));
    await rig.broker.kill();
    await first.terminate('SIGKILL', 1000);
    await rig.broker.restart();
    const again = await rig.executor('exec-s', ['long'], { cleanStale: true });
    assert.equal(again.lines.find((line) => line.event === 'ready')!.cleaned, 1);
    const [run] = await rig.jobs.runs({ name: 'long' });
    assert.equal(run!.status, 'failed');
    assert.equal(run!.error, 'executor restarted');
  } finally {
    await rig.close();
  }
});

test('a malformed job is refused with INVALID_JOB and nothing is stored; the CLI says so and exits 1', async () => {
  const rig = await startRig('job-bad-input');
  try {
    const refusals: JobSpec[] = [
      { name: 'bad-cron', handler: 'h', schedule: { kind: 'cron', expression: 'every tuesday' } },
      { name: 'bad-zone', handler: 'h', schedule: { kind: 'cron', expression: '0 3 * * *', timeZone: 'Mars/Olympus' } },
      { name: 'bad name!', handler: 'h' },
      { name: 'no-handler' },
      { name: 'tiny-rate', handler: 'h', schedule: { kind: 'fixedRate', everyMs: 1 } },
    ];
    for (const job of refusals)
      await assert.rejects(
        rig.jobs.create(job),
        (error: unknown) => error instanceof JobSchedulerClientError && error.code === 'INVALID_JOB',
        job.name,
      );
    assert.deepEqual(await rig.jobs.list(), []);
    const broker = ['--broker', rig.broker.address];
    const refused = await runCli(['job', 'create', '--name', 'x', '--handler', 'h', '--cron', 'nonsense', ...broker]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /cron 'nonsense'/);
    const created = await runCli([
      'job',
      'create',
      '--name',
      'nightly',
      '--handler',
      'h',
      '--cron',
      '0 3 * * *',
      '--tz',
      'Europe/Paris',
      ...broker,
    ]);
    assert.equal(created.code, 0, created.stderr);
    const listed = await runCli(['job', 'list', '--json', ...broker]);
    const [nightly] = JSON.parse(listed.stdout) as { name: string; nextDueMs: number }[];
    assert.equal(nightly!.name, 'nightly');
    // 03:00 in Paris is 01:00 or 02:00 UTC, by the season.
    assert.ok([1, 2].includes(new Date(nightly!.nextDueMs).getUTCHours()), String(nightly!.nextDueMs));
    assert.equal((await runCli(['job', 'executors', ...broker])).code, 0);
  } finally {
    await rig.close();
  }
});

test('with no executor, a serial job queues at most 64 runs and records later fires discarded', async () => {
  const rig = await startRig('job-queue-bound');
  try {
    await rig.jobs.create({ name: 'fast', handler: 'nobody', schedule: { kind: 'fixedRate', everyMs: 10 } });
    const runs = await runsUntil(rig.jobs, { name: 'fast' }, 'a discarded fire', (all) =>
      all.some((run) => run.status === 'discarded'),
    );
    await rig.jobs.pause('fast');
    assert.equal(runs.filter((run) => run.status === 'queued').length, 64);
  } finally {
    await rig.close();
  }
});

test.run();
