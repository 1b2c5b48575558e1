// The workflow services' metrics (README "Metrics"): transactional messages, the job scheduler
// and the TCC coordinator. Gauges read the state machines when scraped, so a replica, which
// replays its master's machines but runs none of the services, shows the same levels; counters
// read plain numbers bumped where the event happens on the broker that runs the service (a
// replica's stay 0). Transaction names are RocketMQ 5's (rocketmq_half_messages,
// rocketmq_commit_messages_total, rocketmq_rollback_messages_total,
// rocketmq_finish_message_latency in seconds with its buckets), with its topic label.
import type { Counter, Gauge } from 'prom-client';

import { SYSTEM_TOPIC } from '../broker-constants.js';
import { RUN_STATUSES, type RunStatus } from '../state/job-scheduler-state.js';
import { TCC_BRANCH_TRANSITIONS, TCC_GLOBAL_TRANSITIONS } from '../tcc/tcc-states.js';
import { HALF_QUEUE_ID } from '../transactions/half-message.js';
import type { ScrapeRead, ScrapedMetrics } from './scraped-metrics.js';

/** Run statuses a run ends in; the others (queued, running) are where active runs stand. */
const ENDED_RUN_STATUSES = RUN_STATUSES.filter((status) => status !== 'queued' && status !== 'running');
const FIRE_TRIGGERS = ['schedule', 'manual', 'parent', 'retry'] as const;
/** Global states of a TCC transaction not finished yet (finished ones leave the gauge). */
const TCC_OPEN_GLOBAL_STATES = Object.keys(TCC_GLOBAL_TRANSITIONS).filter(
  (state) => TCC_GLOBAL_TRANSITIONS[state as keyof typeof TCC_GLOBAL_TRANSITIONS].length > 0,
);
const TCC_BRANCH_STATES = Object.keys(TCC_BRANCH_TRANSITIONS);

export function defineWorkflowMetrics(define: ScrapedMetrics): void {
  defineTransactions(define);
  defineScheduler(define);
  defineTcc(define);
}

function defineTransactions(define: ScrapedMetrics): void {
  define.level('rocketmq_half_messages', 'Half messages of open transactions (prepared or being checked)', (s) => {
    const { store, transactions } = s.context;
    const topic = SYSTEM_TOPIC.transactionHalf;
    return transactions.openBetween(
      store.minQueueOffset(topic, HALF_QUEUE_ID),
      store.maxQueueOffset(topic, HALF_QUEUE_ID),
    );
  });
  const byTopic =
    (which: 'committed' | 'rolledBack'): ScrapeRead<Counter> =>
    (metric, { context }) => {
      // Topics fold into _other past the label limit, as in rocketmq_messages_in_total.
      for (const [topic, count] of context.transactions.counters[which])
        metric.inc({ topic: context.traffic.topicLabels.labelOf(topic) }, count);
    };
  define.counter(
    'rocketmq_commit_messages_total',
    'Transactions committed, by real topic',
    ['topic'],
    byTopic('committed'),
  );
  define.counter(
    'rocketmq_rollback_messages_total',
    'Transactions rolled back, by real topic',
    ['topic'],
    byTopic('rolledBack'),
  );
  define.histogram(
    'rocketmq_finish_message_latency',
    'Seconds from a half message stored to its commit or rollback, by real topic',
    'topic',
    ({ context }) =>
      [...context.transactions.counters.finishLatency].map(([topic, latency]) => [
        context.traffic.topicLabels.labelOf(topic),
        latency,
      ]),
  );
  define.total(
    'tributary_transactions_checks_sent_total',
    'Check-backs (CHECK_TRANSACTION_STATE) sent to a live producer of the group',
    (s) => s.context.transactions.counters.checksSent,
  );
  define.total(
    'tributary_transactions_checks_unsent_total',
    'Check rounds counted with no producer of the group online',
    (s) => s.context.transactions.counters.checksUnsent,
  );
  define.total(
    'tributary_transactions_given_up_total',
    'Half messages moved to the check-max topic after their last unanswered check',
    (s) => s.context.transactions.counters.givenUp,
  );
}

function defineScheduler(define: ScrapedMetrics): void {
  define.gauge('tributary_scheduler_jobs', 'Jobs defined, by state', ['state'], (metric, s) => {
    let paused = 0;
    let active = 0;
    for (const job of s.context.scheduler.state.jobs.values()) job.paused ? paused++ : active++;
    metric.set({ state: 'active' }, active);
    metric.set({ state: 'paused' }, paused);
  });
  define.gauge('tributary_scheduler_runs_active', 'Runs queued or running now', ['status'], (metric, s) => {
    const counts: Partial<Record<RunStatus, number>> = { queued: 0, running: 0 };
    for (const run of s.context.scheduler.state.runs.values())
      if (run.status === 'queued' || run.status === 'running') counts[run.status]! += 1;
    for (const [status, count] of Object.entries(counts)) metric.set({ status }, count);
  });
  define.level(
    'tributary_scheduler_executors',
    'Executors connected (registered and beating)',
    (s) => s.context.scheduler.executors.all().length,
  );
  define.counter(
    'tributary_scheduler_runs_fired_total',
    'Runs queued to run, by trigger (schedule, manual, parent: a child job, retry)',
    ['trigger'],
    (metric, s) => {
      const { fired } = s.context.scheduler.dispatcher.counters;
      for (const trigger of FIRE_TRIGGERS) metric.inc({ trigger }, fired[trigger]);
    },
  );
  define.counter(
    'tributary_scheduler_runs_ended_total',
    'Runs ended, by status (succeeded, failed, timedOut, cancelled; skipped and discarded as created)',
    ['status'],
    (metric, s) => {
      const { ended } = s.context.scheduler.dispatcher.counters;
      for (const status of ENDED_RUN_STATUSES) metric.inc({ status }, ended[status] ?? 0);
    },
  );
  define.total(
    'tributary_scheduler_runs_missed_total',
    "Scheduled fires read past their job's misfire threshold (the broker was down)",
    (s) => s.context.scheduler.dispatcher.counters.missed,
  );
}

function defineTcc(define: ScrapedMetrics): void {
  define.gauge(
    'tributary_tcc_global_transactions',
    'Unfinished TCC global transactions, by status',
    ['status'],
    (metric, s) => {
      const counts = new Map(TCC_OPEN_GLOBAL_STATES.map((state) => [state, 0]));
      for (const global of s.context.tcc.unfinished()) counts.set(global.state, (counts.get(global.state) ?? 0) + 1);
      setEach(metric, counts);
    },
  );
  define.gauge(
    'tributary_tcc_branches',
    'Branches of unfinished TCC global transactions, by status',
    ['status'],
    (metric, s) => {
      const counts = new Map(TCC_BRANCH_STATES.map((state) => [state, 0]));
      for (const global of s.context.tcc.unfinished())
        for (const branch of global.branches.values()) counts.set(branch.state, (counts.get(branch.state) ?? 0) + 1);
      setEach(metric, counts);
    },
  );
  define.total(
    'tributary_tcc_global_transactions_begun_total',
    'TCC global transactions begun',
    (s) => s.context.tcc.counters.begun,
  );
  define.counter(
    'tributary_tcc_global_transactions_finished_total',
    'TCC global transactions finished, by outcome',
    ['status'],
    (metric, s) => {
      const { counters } = s.context.tcc;
      metric.inc({ status: 'committed' }, counters.committed);
      metric.inc({ status: 'rolled_back' }, counters.rolledBack);
    },
  );
  define.total(
    'tributary_tcc_timeouts_total',
    'TCC global transactions still trying at their timeout, rolled back by the recovery task',
    (s) => s.context.tcc.counters.timedOut,
  );
  define.total(
    'tributary_tcc_empty_rollbacks_total',
    'TCC branches cancelled without their try having run',
    (s) => s.context.tcc.counters.emptyRollbacks,
  );
  define.counter(
    'tributary_tcc_branch_actions_sent_total',
    'Try, confirm and cancel requests sent to participants (retries included)',
    ['action'],
    (metric, s) => {
      for (const [action, count] of Object.entries(s.context.tcc.counters.actionsSent)) metric.inc({ action }, count);
    },
  );
}

function setEach(metric: Gauge, counts: ReadonlyMap<string, number>): void {
  for (const [status, count] of counts) metric.set({ status }, count);
}
