// The coordination services' metrics (README "Metrics"): distributed locks, the config centre,
// unique ids and rate limit quotas. Gauges of what the state machines hold are read when
// scraped, so a replica (which replays its master's machines and runs none of the writing
// services) shows the same locks, items, sequences and quotas; what lives only in the serving
// broker's memory (lock waiters, held watches, token buckets) and the event counters, bumped
// as plain numbers where the event happens, read 0 there. Quota names are label values folded
// into `_other` past metricLabelsMax, as topics and groups are (bounded-labels.ts).
import type { Counter } from 'prom-client';

import { CONFIG_WATCH_WAKES } from '../config-centre/config-watch-hold.js';
import type { ConfigChangeKind } from '../state/config-store.js';
import type { LockKind, LockMode } from '../state/distributed-lock-table.js';
import { QUOTA_SCOPES, type QuotaScope } from '../state/quota-table.js';
import type { BrokerMetricsSources } from './broker-metrics-sources.js';
import { BoundedLabels } from './bounded-labels.js';
import type { ScrapedMetrics } from './scraped-metrics.js';

const LOCK_KINDS: readonly LockKind[] = ['mutex', 'rw', 'semaphore'];
const LOCK_MODES: readonly LockMode[] = ['read', 'write', 'permit'];
const CONFIG_CHANGE_KINDS: readonly ConfigChangeKind[] = [
  'publish',
  'rollback',
  'delete',
  'promote',
  'gray',
  'abandon',
];

export function defineCoordinationMetrics(define: ScrapedMetrics): void {
  defineLocks(define);
  defineConfigCentre(define);
  defineIds(define);
  defineQuotas(define);
}

function defineLocks(define: ScrapedMetrics): void {
  define.gauge('tributary_locks_held', 'Distributed locks with at least one holder, by kind', ['kind'], (metric, s) => {
    const counts = new Map<string, number>(LOCK_KINDS.map((kind) => [kind, 0]));
    for (const lock of s.context.distributedLocks.stateMachine.state.locks.values())
      counts.set(lock.kind, counts.get(lock.kind)! + 1);
    for (const [kind, count] of counts) metric.set({ kind }, count);
  });
  define.gauge(
    'tributary_locks_holders',
    'Holders of distributed locks, by mode (read and write for locks, permit for semaphore permits)',
    ['mode'],
    (metric, s) => {
      const counts = new Map<string, number>(LOCK_MODES.map((mode) => [mode, 0]));
      for (const lock of s.context.distributedLocks.stateMachine.state.locks.values())
        for (const holder of lock.holders.values()) counts.set(holder.mode, counts.get(holder.mode)! + 1);
      for (const [mode, count] of counts) metric.set({ mode }, count);
    },
  );
  define.level(
    'tributary_locks_waiters',
    'Acquire requests queued for a distributed lock',
    (s) => s.context.distributedLocks.waiterCount,
  );
  define.level(
    'tributary_locks_fencing_token_last',
    'The last fencing token handed out (it only grows)',
    (s) => s.context.distributedLocks.stateMachine.state.lastFence,
  );
  const counters = (s: BrokerMetricsSources) => s.context.distributedLocks.counters;
  define.total('tributary_locks_grants_total', 'Distributed lock leases granted', (s) => counters(s).granted);
  define.total('tributary_locks_releases_total', 'Leases released by their owner', (s) => counters(s).released);
  define.total('tributary_locks_lease_expiries_total', 'Leases that ran out unrenewed', (s) => counters(s).expired);
  define.total(
    'tributary_locks_holder_disconnects_total',
    "Leases ended because the holder's connection closed",
    (s) => counters(s).holderGone,
  );
  define.total(
    'tributary_locks_wait_timeouts_total',
    'Acquires whose wait ran out before a grant (LOCK_WAIT_TIMEOUT)',
    (s) => counters(s).waitTimedOut,
  );
  define.total('tributary_locks_busy_total', 'Try-locks refused at once (LOCK_BUSY)', (s) => counters(s).busy);
}

function defineConfigCentre(define: ScrapedMetrics): void {
  const stats = (s: BrokerMetricsSources) => s.context.configCentre.stats();
  define.level(
    'tributary_config_centre_namespaces',
    'Config namespaces (over all environments)',
    (s) => stats(s).namespaces,
  );
  define.level(
    'tributary_config_centre_items',
    'Config items with a live value (not deleted)',
    (s) => stats(s).liveItems,
  );
  define.level('tributary_config_centre_versions', 'Config versions kept in history', (s) => stats(s).versionsKept);
  define.level('tributary_config_centre_gray_releases', 'Gray releases pending', (s) => stats(s).grayReleases);
  define.level(
    'tributary_config_centre_watches_held',
    'Watch requests (listeners) held waiting for a change',
    (s) => s.context.configCentre.watches?.held ?? 0,
  );
  define.counter(
    'tributary_config_centre_changes_total',
    'Config changes made, by kind (publish, rollback, delete, promote, gray, abandon)',
    ['kind'],
    (metric, s) => {
      const { changes } = s.context.configCentre;
      for (const kind of CONFIG_CHANGE_KINDS) metric.inc({ kind }, changes.get(kind) ?? 0);
    },
  );
  define.counter(
    'tributary_config_centre_watch_wakes_total',
    'Held watches ended, by reason (changed, timeout, closed; full: refused at once)',
    ['reason'],
    (metric, s) => {
      const wakes = s.context.configCentre.watches?.wakes;
      for (const reason of CONFIG_WATCH_WAKES) metric.inc({ reason }, wakes?.[reason] ?? 0);
    },
  );
}

function defineIds(define: ScrapedMetrics): void {
  define.level('tributary_ids_sequences', 'Unique id sequences', (s) => s.context.ids.sequences().length);
  define.level('tributary_ids_worker_leases_held', 'Snowflake worker id leases live (held and not expired)', (s) =>
    s.context.ids.liveWorkerLeases(),
  );
  define.total(
    'tributary_ids_segments_total',
    'Id ranges (segments) handed out',
    (s) => s.context.ids.counters.segments,
  );
  define.total('tributary_ids_issued_total', 'Ids in the ranges handed out', (s) => s.context.ids.counters.ids);
  define.total(
    'tributary_ids_worker_leases_total',
    'Worker id leases granted or renewed',
    (s) => s.context.ids.counters.leases,
  );
  define.total(
    'tributary_ids_worker_leases_refused_total',
    'Worker id lease requests refused: every worker id of the space leased (ID_WORKERS_EXHAUSTED)',
    (s) => s.context.ids.counters.leasesRefused,
  );
}

function defineQuotas(define: ScrapedMetrics): void {
  define.gauge('tributary_quotas', 'Rate limit quotas set, by scope', ['scope'], (metric, s) => {
    const counts = new Map<string, number>(QUOTA_SCOPES.map((scope) => [scope, 0]));
    for (const quota of s.context.quotas.table.all()) counts.set(quota.scope, counts.get(quota.scope)! + 1);
    for (const [scope, count] of counts) metric.set({ scope }, count);
  });
  // Topics and groups share their labels with the messaging metrics; accounts get their own.
  let accountLabels: BoundedLabels | undefined;
  const labelOf = (s: BrokerMetricsSources, scope: QuotaScope, name: string): string => {
    const { traffic, options } = s.context;
    if (scope === 'topic') return traffic.topicLabels.labelOf(name);
    if (scope === 'group') return traffic.groupLabels.labelOf(name);
    accountLabels ??= new BoundedLabels(options.metricLabelsMax);
    return accountLabels.labelOf(name);
  };
  const tally =
    (which: 'allowed' | 'refused') =>
    (metric: Counter, s: BrokerMetricsSources): void => {
      for (const scope of QUOTA_SCOPES)
        for (const [name, counts] of s.context.quotas.tallies[scope])
          metric.inc({ scope, quota: labelOf(s, scope, name) }, counts[which]);
    };
  const labels = ['scope', 'quota'];
  define.counter(
    'tributary_quotas_requests_allowed_total',
    'Requests a quota let through (sends for topic and account quotas, pulls for group quotas)',
    labels,
    tally('allowed'),
  );
  define.counter(
    'tributary_quotas_requests_refused_total',
    'Requests a quota refused with SYSTEM_BUSY and a retry-after hint',
    labels,
    tally('refused'),
  );
}
