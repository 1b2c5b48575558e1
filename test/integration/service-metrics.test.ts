// The coordination and workflow services' metrics (README "Metrics") on a real broker process:
// each service is driven through Tributary's client and /metrics is scraped, so every series is
// shown to move with what the service does (and to come back down when it is undone). Event
// counters are compared with their value before the step, so the tests do not depend on order.
import assert from 'node:assert/strict';
import path from 'node:path';

import { test } from 'uvu';

import {
  Admin,
  ConfigClient,
  IdClient,
  JobExecutor,
  JobSchedulerClient,
  LockClient,
  Producer,
  TccCoordinatorClient,
  TccParticipant,
  TccTransaction,
  TransactionProducer,
  type ReceivedMessage,
  type TransactionVerdict,
} from '../../client/index.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { startBrokerProcess, type BrokerProcess } from '../support/broker-processes.js';
import { pollUntil } from '../support/broker-requests.js';
import { metricSample, metricUntil, scrapeMetrics } from '../support/metrics-page.js';
import { startMaster, startReplica, waitInSync } from '../support/replicated-set.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const WAIT_MS = 20_000;
/** Transactions are due for a check after 1 s, checked every 200 ms, given up after 2 checks. */
const TRANSACTION_TIMING = { transactionCheckIntervalMs: 200, transactionTimeoutMs: 1000, transactionCheckMax: 2 };
const CLIENT_TIMING = { heartbeatIntervalMs: 200, routeRefreshIntervalMs: 1000 } as const;
/** A once job due this far ahead: time to stop the broker before it fires. */
const MISFIRE_DUE_AFTER_MS = 1000;

let broker: BrokerProcess;
let directory: { path: string; remove(): void };
let nameServer: string;

test.before(async () => {
  directory = temporaryDirectory('service-metrics');
  broker = await startBrokerProcess({
    dataDirectory: path.join(directory.path, 'broker'),
    httpPort: 0,
    label: 'service-metrics',
    ...TRANSACTION_TIMING,
  });
  nameServer = broker.nameServerAddress!;
});

test.after(async () => {
  await broker?.stop();
  directory?.remove();
});

const scrape = (): Promise<string> => scrapeMetrics(broker.httpPort!);
const value = (page: string, name: string, labels: Record<string, string> = {}): number =>
  metricSample(page, name, labels) ?? Number.NaN;
/** Scrapes until `name{labels}` equals `expected`. */
const reaches = (name: string, labels: Record<string, string>, expected: number): Promise<string> =>
  metricUntil(broker.httpPort!, name, labels, (seen) => seen === expected, WAIT_MS);

async function rejects(work: Promise<unknown>): Promise<void> {
  const outcome = await work.then(
    () => 'resolved',
    () => 'rejected',
  );
  assert.equal(outcome, 'rejected');
}

test('a held distributed lock shows in tributary_locks_held and leaves it on release; waiters, permits, expiries and refusals are counted', async () => {
  const holder = new LockClient({ broker: broker.address });
  const other = new LockClient({ broker: broker.address });
  const leaver = new LockClient({ broker: broker.address });
  try {
    const before = await scrape();
    const lock = await holder.acquire('metrics-mutex', { ttlMs: 30_000 });
    let page = await scrape();
    assert.equal(value(page, 'tributary_locks_held', { kind: 'mutex' }), 1);
    assert.equal(value(page, 'tributary_locks_holders', { mode: 'write' }), 1);
    assert.ok(value(page, 'tributary_locks_fencing_token_last') >= lock.fence);

    const queued = other.acquire('metrics-mutex', { ttlMs: 30_000, waitMs: WAIT_MS });
    await reaches('tributary_locks_waiters', {}, 1);
    assert.equal(await other.tryAcquire('metrics-mutex', { ttlMs: 30_000 }), undefined);
    await rejects(other.acquire('metrics-mutex', { ttlMs: 30_000, waitMs: 100 }));
    await lock.release();
    const second = await queued;
    page = await scrape();
    assert.equal(value(page, 'tributary_locks_waiters'), 0);
    assert.equal(value(page, 'tributary_locks_held', { kind: 'mutex' }), 1, 'the waiter holds it now');
    await second.release();

    const permits = [
      await holder.acquire('metrics-permits', { ttlMs: 30_000, kind: 'semaphore', permits: 3 }),
      await other.acquire('metrics-permits', { ttlMs: 30_000, kind: 'semaphore', permits: 3 }),
    ];
    page = await scrape();
    assert.equal(value(page, 'tributary_locks_held', { kind: 'mutex' }), 0, 'released locks leave the gauge');
    assert.equal(value(page, 'tributary_locks_held', { kind: 'semaphore' }), 1);
    assert.equal(value(page, 'tributary_locks_holders', { mode: 'permit' }), 2);
    for (const permit of permits) await permit.release();

    await leaver.acquire('metrics-dropped', { ttlMs: 30_000 });
    leaver.close();
    await holder.acquire('metrics-short', { ttlMs: 200 });
    page = await reaches('tributary_locks_held', { kind: 'mutex' }, 0);
    assert.equal(value(page, 'tributary_locks_held', { kind: 'semaphore' }), 0);
    const moved = (name: string): number => value(page, name) - value(before, name);
    assert.equal(moved('tributary_locks_grants_total'), 6);
    assert.equal(moved('tributary_locks_releases_total'), 4);
    assert.equal(moved('tributary_locks_busy_total'), 1);
    assert.equal(moved('tributary_locks_wait_timeouts_total'), 1);
    assert.equal(moved('tributary_locks_holder_disconnects_total'), 1);
    assert.equal(moved('tributary_locks_lease_expiries_total'), 1);
  } finally {
    holder.close();
    other.close();
    leaver.close();
  }
});

test('config centre items, versions and gray releases show as published; a held watch counts as a listener until it wakes', async () => {
  const publisher = new ConfigClient({ broker: broker.address, env: 'metrics' });
  const watcher = new ConfigClient({ broker: broker.address, env: 'metrics', watchHoldMs: 30_000 });
  try {
    const before = await scrape();
    await publisher.publish('metrics-ns', 'pool', '10');
    await publisher.publish('metrics-ns', 'pool', '20');
    await publisher.publish('metrics-ns', 'timeout', '5');
    let page = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}): number =>
      value(page, name, labels) - value(before, name, labels);
    assert.equal(moved('tributary_config_centre_items'), 2);
    assert.equal(moved('tributary_config_centre_versions'), 3);
    assert.equal(moved('tributary_config_centre_namespaces'), 1);
    assert.equal(moved('tributary_config_centre_changes_total', { kind: 'publish' }), 3);

    await publisher.publish('metrics-ns', 'pool', '30', { grayClientIds: ['canary-1'] });
    page = await scrape();
    assert.equal(moved('tributary_config_centre_gray_releases'), 1);
    assert.equal(moved('tributary_config_centre_changes_total', { kind: 'gray' }), 1);

    const seen: string[] = [];
    await watcher.watch('metrics-ns', 'timeout', (change) => void seen.push(change.value ?? ''));
    await reaches('tributary_config_centre_watches_held', {}, 1);
    await publisher.abandon('metrics-ns', 'pool');
    await publisher.delete('metrics-ns', 'timeout');
    await pollUntil('the watcher hears of the delete', WAIT_MS, () => (seen.length > 0 ? true : undefined));
    page = await scrape();
    assert.equal(moved('tributary_config_centre_gray_releases'), 0, 'an abandoned gray release leaves the gauge');
    assert.equal(moved('tributary_config_centre_items'), 1, 'a deleted item is no longer live');
    assert.equal(moved('tributary_config_centre_changes_total', { kind: 'abandon' }), 1);
    assert.equal(moved('tributary_config_centre_changes_total', { kind: 'delete' }), 1);
    assert.ok(moved('tributary_config_centre_watch_wakes_total', { reason: 'changed' }) >= 1);
  } finally {
    publisher.close();
    watcher.close();
  }
});

test('unique id segments and ids handed out are counted; a snowflake worker lease shows while held and a refused one is counted', async () => {
  const ids = new IdClient({ nameServer });
  const second = new IdClient({ nameServer });
  let closed = false;
  try {
    const before = await scrape();
    await ids.createSequence('metrics-orders', { start: 1, step: 1 });
    await ids.takeRange('metrics-orders', 100);
    await ids.takeRange('metrics-orders', 50);
    await ids.snowflake('metrics-space', { layout: { workerBits: 1 } });
    await second.snowflake('metrics-space', { layout: { workerBits: 1 } });
    await rejects(second.snowflake('metrics-space', { layout: { workerBits: 1 } }));
    const page = await scrape();
    const moved = (name: string): number => value(page, name) - value(before, name);
    assert.equal(moved('tributary_ids_sequences'), 1);
    assert.equal(moved('tributary_ids_segments_total'), 2);
    assert.equal(moved('tributary_ids_issued_total'), 150);
    assert.equal(moved('tributary_ids_worker_leases_held'), 2);
    assert.equal(moved('tributary_ids_worker_leases_refused_total'), 1);
    assert.ok(moved('tributary_ids_worker_leases_total') >= 2);
    await second.close();
    closed = true;
    await reaches('tributary_ids_worker_leases_held', {}, value(before, 'tributary_ids_worker_leases_held') + 1);
  } finally {
    await ids.close();
    if (!closed) await second.close();
  }
});

test('a topic quota counts the sends it lets through and the ones it refuses, under the quota and scope labels', async () => {
  const admin = new Admin({ nameServer });
  const producer = new Producer({ nameServer, group: 'metrics-quota-pg' });
  try {
    await admin.createTopic('metrics-quota', { queues: 1 });
    await pollUntil(
      'the route',
      WAIT_MS,
      async () => (await admin.listTopics()).includes('metrics-quota') || undefined,
    );
    await admin.setQuota({ scope: 'topic', name: 'metrics-quota', messagesPerS: 10 });
    let page = await scrape();
    assert.equal(value(page, 'tributary_quotas', { scope: 'topic' }), 1);
    await producer.start();
    // One token at a time (10/s, a 100 ms burst): back-to-back sends are refused and retried.
    for (let i = 0; i < 5; i++) await producer.send({ topic: 'metrics-quota', body: `q${i}` });
    page = await scrape();
    const labels = { scope: 'topic', quota: 'metrics-quota' };
    assert.equal(value(page, 'tributary_quotas_requests_allowed_total', labels), 5);
    assert.ok(value(page, 'tributary_quotas_requests_refused_total', labels) >= 1);
    assert.ok(await admin.deleteQuota('topic', 'metrics-quota'));
    page = await scrape();
    assert.equal(value(page, 'tributary_quotas', { scope: 'topic' }), 0);
    assert.equal(value(page, 'tributary_quotas_requests_allowed_total', labels), 5, 'counts outlive the quota');
  } finally {
    await producer.shutdown();
    admin.close();
  }
});

test('transactions: commits and rollbacks count by topic with their finish latency; an open one is a half message, checked back, then given up', async () => {
  const topic = 'metrics-tx';
  const admin = new Admin({ nameServer });
  const verdicts = new Map<string, TransactionVerdict>();
  const check = (message: ReceivedMessage): TransactionVerdict => verdicts.get(message.body.toString()) ?? 'unknown';
  const producer = new TransactionProducer({ nameServer, group: 'metrics-tx-p', check, ...CLIENT_TIMING });
  const gone = new TransactionProducer({ nameServer, group: 'metrics-tx-gone', check, ...CLIENT_TIMING });
  try {
    await admin.createTopic(topic, { queues: 1 });
    await pollUntil('the route', WAIT_MS, async () => (await admin.listTopics()).includes(topic) || undefined);
    await producer.start();
    await gone.start();
    const before = await scrape();
    // Left open first, so the verdicts after it are finished half messages above an open one.
    await producer.sendInTransaction({ topic, body: 'left-open' }, () => 'unknown');
    await producer.sendInTransaction({ topic, body: 'commit-me' }, () => 'commit');
    await producer.sendInTransaction({ topic, body: 'roll-me-back' }, () => 'rollback');
    await reaches('rocketmq_commit_messages_total', { topic }, 1);
    let page = await reaches('rocketmq_rollback_messages_total', { topic }, 1);
    assert.equal(value(page, 'rocketmq_half_messages'), 1, 'open until its checks run out (2), then given up');
    // Both verdicts came within RocketMQ's first bucket (5 s) of their half message.
    assert.equal(value(page, 'rocketmq_finish_message_latency_count', { topic }), 2);
    assert.equal(value(page, 'rocketmq_finish_message_latency_bucket', { topic, le: '5' }), 2);
    // Left open by a producer that is gone: its check rounds find nobody to ask.
    await gone.sendInTransaction({ topic, body: 'orphaned' }, () => 'unknown');
    await gone.shutdown();
    page = await reaches('rocketmq_half_messages', {}, 0);
    const moved = (name: string): number => value(page, name) - value(before, name);
    assert.equal(moved('tributary_transactions_given_up_total'), 2);
    assert.ok(moved('tributary_transactions_checks_sent_total') >= 2, 'the live producer was asked twice');
    assert.ok(moved('tributary_transactions_checks_unsent_total') >= 1, 'the gone producer could not be');
  } finally {
    await producer.shutdown();
    await gone.shutdown();
    admin.close();
  }
});

test('scheduler: jobs by state, runs fired by trigger and ended by status (succeeded, failed, timed out), active runs while running', async () => {
  const jobs = new JobSchedulerClient({ brokerAddress: broker.address });
  /** Job name -> ends the run of the 'hold' handler now going for it. */
  const releases = new Map<string, () => void>();
  const executor = new JobExecutor({
    brokerAddress: broker.address,
    executorId: 'metrics-executor',
    handlers: {
      ok: async () => 'done',
      fail: async () => {
        throw new Error('fails on purpose');
      },
      hold: (run) =>
        new Promise<void>((resolve, reject) => {
          releases.set(run.job, resolve);
          // Past its timeout the run is aborted: it ends timed out, not succeeded.
          run.signal.addEventListener('abort', () => reject(run.signal.reason as Error));
        }),
    },
  });
  try {
    await executor.start();
    const before = await scrape();
    await jobs.create({ name: 'metrics-child', handler: 'ok' });
    await jobs.create({ name: 'metrics-ok', handler: 'ok', children: ['metrics-child'] });
    await jobs.create({ name: 'metrics-fail', handler: 'fail', retries: 1, retryBackoffMs: 10 });
    await jobs.create({ name: 'metrics-slow', handler: 'hold', timeoutMs: 300 });
    await jobs.create({ name: 'metrics-held', handler: 'hold' });
    await jobs.pause('metrics-held');
    let page = await scrape();
    assert.equal(
      value(page, 'tributary_scheduler_jobs', { state: 'active' }) -
        value(before, 'tributary_scheduler_jobs', { state: 'active' }),
      4,
    );
    assert.equal(value(page, 'tributary_scheduler_jobs', { state: 'paused' }), 1);
    assert.ok(value(page, 'tributary_scheduler_executors') >= 1);

    await jobs.trigger('metrics-ok');
    await jobs.trigger('metrics-fail');
    await jobs.trigger('metrics-slow');
    const ended = (status: string): number => value(before, 'tributary_scheduler_runs_ended_total', { status });
    page = await reaches('tributary_scheduler_runs_ended_total', { status: 'timedOut' }, ended('timedOut') + 1);
    await reaches('tributary_scheduler_runs_ended_total', { status: 'failed' }, ended('failed') + 2);
    page = await reaches('tributary_scheduler_runs_ended_total', { status: 'succeeded' }, ended('succeeded') + 2);
    const fired = (trigger: string): number =>
      value(page, 'tributary_scheduler_runs_fired_total', { trigger }) -
      value(before, 'tributary_scheduler_runs_fired_total', { trigger });
    assert.equal(fired('manual'), 3);
    assert.equal(fired('parent'), 1, 'the child job ran after its parent succeeded');
    assert.equal(fired('retry'), 1, 'the failed run was retried once');

    await jobs.resume('metrics-held');
    await jobs.trigger('metrics-held');
    await reaches('tributary_scheduler_runs_active', { status: 'running' }, 1);
    const release = await pollUntil('the held run to start', WAIT_MS, () => releases.get('metrics-held'));
    release();
    page = await reaches('tributary_scheduler_runs_active', { status: 'running' }, 0);
    assert.equal(value(page, 'tributary_scheduler_runs_active', { status: 'queued' }), 0);
  } finally {
    for (const release of releases.values()) release();
    await executor.close();
    jobs.close();
  }
});

test('tcc: a global shows by status while trying, branches by status, and finishing counts it by outcome; a timed-out one is counted', async () => {
  const participant = new TccParticipant({
    coordinatorAddress: broker.address,
    resources: { 'metrics-bank': { try: () => undefined, confirm: () => undefined, cancel: () => undefined } },
  });
  const coordinator = new TccCoordinatorClient({ coordinatorAddress: broker.address });
  try {
    await participant.start();
    const before = await scrape();
    const transaction = await TccTransaction.begin(coordinator);
    await transaction.try('metrics-bank', { amount: 1 });
    let page = await scrape();
    assert.equal(value(page, 'tributary_tcc_global_transactions', { status: 'trying' }), 1);
    assert.equal(value(page, 'tributary_tcc_branches', { status: 'tried' }), 1);
    await transaction.commit();
    page = await reaches('tributary_tcc_global_transactions', { status: 'committing' }, 0);
    assert.equal(value(page, 'tributary_tcc_global_transactions', { status: 'trying' }), 0);
    assert.equal(value(page, 'tributary_tcc_branches', { status: 'tried' }), 0, 'finished globals leave the gauges');

    await TccTransaction.begin(coordinator, { timeoutMs: 100 });
    page = await reaches('tributary_tcc_timeouts_total', {}, value(before, 'tributary_tcc_timeouts_total') + 1);
    page = await reaches('tributary_tcc_global_transactions', { status: 'trying' }, 0);
    const moved = (name: string, labels: Record<string, string> = {}): number =>
      value(page, name, labels) - value(before, name, labels);
    assert.equal(moved('tributary_tcc_global_transactions_begun_total'), 2);
    assert.equal(moved('tributary_tcc_global_transactions_finished_total', { status: 'committed' }), 1);
    assert.equal(moved('tributary_tcc_global_transactions_finished_total', { status: 'rolled_back' }), 1);
    assert.equal(moved('tributary_tcc_branch_actions_sent_total', { action: 'try' }), 1);
    assert.ok(moved('tributary_tcc_branch_actions_sent_total', { action: 'confirm' }) >= 1);
  } finally {
    coordinator.close();
    participant.close();
  }
});

test('quota names past metricLabelsMax fold into _other, their counts summed', async () => {
  const folding = temporaryDirectory('service-metrics-fold');
  const small = await startBrokerProcess({
    dataDirectory: folding.path,
    httpPort: 0,
    metricLabelsMax: 1,
    label: 'service-metrics-fold',
  });
  const admin = new Admin({ nameServer: small.nameServerAddress! });
  const producer = new Producer({ nameServer: small.nameServerAddress!, group: 'fold-pg' });
  try {
    const topics = ['fold-q1', 'fold-q2', 'fold-q3'];
    for (const topic of topics) await admin.createTopic(topic, { queues: 1 });
    await pollUntil('the routes', WAIT_MS, async () => {
      const known = await admin.listTopics();
      return topics.every((topic) => known.includes(topic)) || undefined;
    });
    for (const topic of topics) await admin.setQuota({ scope: 'topic', name: topic, messagesPerS: 1000 });
    await producer.start();
    for (const topic of topics) await producer.send({ topic, body: 'x' });
    const page = await scrapeMetrics(small.httpPort!);
    const lines = page.split('\n').filter((line) => line.startsWith('tributary_quotas_requests_allowed_total{'));
    assert.equal(lines.length, 2, `one own label and _other:\n${lines.join('\n')}`);
    assert.equal(metricSample(page, 'tributary_quotas_requests_allowed_total', { quota: 'fold-q1' }), 1);
    assert.equal(metricSample(page, 'tributary_quotas_requests_allowed_total', { quota: '_other' }), 2);
  } finally {
    await producer.shutdown();
    admin.close();
    await small.stop();
    folding.remove();
  }
});

test('a scheduled fire missed while the broker was down counts in tributary_scheduler_runs_missed_total after the restart', async () => {
  const down = temporaryDirectory('service-metrics-misfire');
  const restarted = await startBrokerProcess({
    dataDirectory: down.path,
    httpPort: 0,
    label: 'service-metrics-misfire',
  });
  const jobs = new JobSchedulerClient({ brokerAddress: restarted.address });
  try {
    const dueMs = Date.now() + MISFIRE_DUE_AFTER_MS;
    const threshold = 100;
    await jobs.create({
      name: 'metrics-missed',
      handler: 'nobody',
      schedule: { kind: 'once', atMs: dueMs },
      misfire: 'skip',
      misfireThresholdMs: threshold,
    });
    await restarted.stop();
    // The broker is down past the due time and the threshold: that is what makes the fire late.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, dueMs + threshold - Date.now()) + 50));
    await restarted.restart();
    const page = await metricUntil(
      restarted.httpPort!,
      'tributary_scheduler_runs_missed_total',
      {},
      (v) => v === 1,
      WAIT_MS,
    );
    assert.equal(metricSample(page, 'tributary_scheduler_runs_ended_total', { status: 'skipped' }), 1);
    assert.equal(metricSample(page, 'tributary_scheduler_runs_fired_total', { trigger: 'schedule' }), 0);
  } finally {
    jobs.close();
    await restarted.stop();
    down.remove();
  }
});

test('a replica runs none of the services, yet its /metrics shows the locks, items, sequences, jobs, globals and open transactions it replayed', async () => {
  const set = temporaryDirectory('service-metrics-replica');
  const master = await startMaster(path.join(set.path, 'master'), { httpPort: 0 });
  let replica: BrokerProcess | undefined;
  const locks = new LockClient({ broker: master.address });
  const config = new ConfigClient({ broker: master.address, env: 'replicated' });
  const ids = new IdClient({ nameServer: master.nameServerAddress! });
  const jobs = new JobSchedulerClient({ brokerAddress: master.address });
  const coordinator = new TccCoordinatorClient({ coordinatorAddress: master.address });
  const admin = new Admin({ nameServer: master.nameServerAddress! });
  const unsure = (): TransactionVerdict => 'unknown';
  const producer = new TransactionProducer({
    nameServer: master.nameServerAddress!,
    group: 'replicated-tx-p',
    check: unsure,
  });
  const client = new RemotingClient();
  try {
    replica = await startReplica(path.join(set.path, 'replica'), master.nameServers, { httpPort: 0 });
    await waitInSync(client, master.address);
    await locks.acquire('replicated-lock', { ttlMs: 60_000 });
    await config.publish('replicated-ns', 'k', 'v');
    await ids.createSequence('replicated-seq');
    await jobs.create({ name: 'replicated-job', handler: 'nobody' });
    await TccTransaction.begin(coordinator, { timeoutMs: 60_000 });
    await admin.createTopic('replicated-tx', { queues: 1 });
    await pollUntil(
      'the route',
      WAIT_MS,
      async () => (await admin.listTopics()).includes('replicated-tx') || undefined,
    );
    await producer.start();
    await producer.sendInTransaction({ topic: 'replicated-tx', body: 'open' }, unsure);
    const port = replica.httpPort!;
    await metricUntil(port, 'rocketmq_half_messages', {}, (v) => v === 1, WAIT_MS);
    const page = await metricUntil(
      port,
      'tributary_tcc_global_transactions',
      { status: 'trying' },
      (v) => v === 1,
      WAIT_MS,
    );
    const replayed = await metricUntil(port, 'tributary_locks_held', { kind: 'mutex' }, (v) => v === 1, WAIT_MS);
    assert.equal(metricSample(replayed, 'tributary_config_centre_items'), 1);
    assert.equal(metricSample(replayed, 'tributary_ids_sequences'), 1);
    assert.equal(metricSample(replayed, 'tributary_scheduler_jobs', { state: 'active' }), 1);
    // The services run on the master: the replica's event counters and in-memory levels stay 0.
    assert.equal(metricSample(page, 'tributary_locks_grants_total'), 0);
    assert.equal(metricSample(page, 'tributary_tcc_global_transactions_begun_total'), 0);
    assert.equal(metricSample(page, 'tributary_locks_waiters'), 0);
    const masterPage = await scrapeMetrics(master.httpPort!);
    assert.equal(metricSample(masterPage, 'tributary_locks_grants_total'), 1);
  } finally {
    await producer.shutdown();
    admin.close();
    coordinator.close();
    jobs.close();
    await ids.close();
    config.close();
    locks.close();
    client.close();
    await replica?.stop();
    await master.stop();
    set.remove();
  }
});

test.run();
