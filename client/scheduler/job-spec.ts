// A job as the Admin API defines it, and a run as the run log shows it (the broker's
// job-scheduler-state.ts is the authority; these are its wire shapes).
/**
 * When a job fires: `cron` (5 or 6 fields, seconds first when 6, read in `timeZone`),
 * `fixedRate` (every `everyMs`, counted from `startAtMs` or else from when the job is stored),
 * `fixedDelay` (`delayMs` after the previous fire's last run ends), `once` (at `atMs`), or
 * `manual` (only when triggered, or as a child). Intervals are at least 10 ms; a bad expression
 * or time zone is refused with JobSchedulerClientError INVALID_JOB.
 */
export type JobScheduleSpec =
  | { kind: 'cron'; expression: string; timeZone?: string }
  | { kind: 'fixedRate'; everyMs: number; startAtMs?: number }
  | { kind: 'fixedDelay'; delayMs: number }
  | { kind: 'once'; atMs: number }
  | { kind: 'manual' };

/**
 * A job definition for JobSchedulerClient's create, update and upsert. The broker checks it and
 * fills its defaults; a bad field is refused with JobSchedulerClientError INVALID_JOB naming it.
 * Defaults: manual schedule, empty params, timeoutMs 60000 (at most 24 h), retries 0 (at most
 * 100) with retryBackoffMs 1000 doubling per attempt, routing 'first', concurrency 'serial',
 * misfire 'fireOnce'. A name is 1-128 characters of A-Z a-z 0-9 _ . : -.
 */
export interface JobSpec {
  name: string;
  /** Handler name executors register (or glueSource). */
  handler?: string;
  /** Default: manual (fires only when triggered or as a child). */
  schedule?: JobScheduleSpec;
  /** Handed to the handler as `run.params` (at most 64 KiB); a trigger may override it. */
  params?: string;
  /** A run still going after this long is ended timedOut and its signal aborted; default 60000. */
  timeoutMs?: number;
  /** Runs again after a failed or timed-out run, up to this many times; default 0. */
  retries?: number;
  /** Wait before the first retry, doubled for each later one; default 1000. */
  retryBackoffMs?: number;
  /**
   * Which executor runs a fire; default 'first'. 'failover' moves a run whose executor died to
   * another; 'shardingBroadcast' runs one shard on each eligible executor.
   */
  routing?:
    'first' | 'roundRobin' | 'random' | 'consistentHash' | 'leastRecentlyUsed' | 'failover' | 'shardingBroadcast';
  /**
   * A fire while a run is active: 'serial' (default) queues it (at most 64 queued, later ones are
   * discarded), 'discardLater' records it discarded, 'cancelRunning' cancels the active runs.
   */
  concurrency?: 'serial' | 'discardLater' | 'cancelRunning';
  /** A fire missed while the broker was down: 'fireOnce' (default) runs it once, 'skip' records it skipped. */
  misfire?: 'fireOnce' | 'skip';
  /** A fire this late (the broker was down) is a misfire; default 5000. */
  misfireThresholdMs?: number;
  /** Jobs fired when a fire's runs (every shard) succeed; at most 64, unknown names are ignored. */
  children?: string[];
  /** JavaScript run in a worker by executors started with `glue: true` (at most 256 KiB), instead of a handler. */
  glueSource?: string;
}

/**
 * Where a run stands: `queued` and `running` are active; the rest are ends (`discarded` by the
 * concurrency policy, `skipped` by the misfire policy).
 */
export type RunStatus =
  'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'timedOut' | 'discarded' | 'skipped';

/**
 * A run as the run log keeps it (the last 200 of each job): why it fired (`trigger`), its
 * attempt and shard, where and when it ran, and the tail of its output (4 KiB).
 */
export interface JobRun {
  id: number;
  job: string;
  dueMs: number;
  trigger: 'schedule' | 'manual' | 'parent' | 'retry';
  attempt: number;
  shardIndex: number;
  shardCount: number;
  status: RunStatus;
  executor?: string;
  startedAtMs?: number;
  endedAtMs?: number;
  output?: string;
  error?: string;
}

/** A job as `list` shows it; `nextDueMs` is 0 when no fire is armed (a manual job, a one-shot done). */
export interface JobSummary {
  name: string;
  handler: string;
  schedule: JobScheduleSpec;
  paused: boolean;
  nextDueMs: number;
  lastFiredDueMs: number;
}

/**
 * A live executor as the broker sees it: the handlers it registered, whether it runs GLUE, the
 * ids of its running runs, and its lease (it is removed after `leaseMs` without a heartbeat).
 */
export interface ExecutorInfo {
  id: string;
  app: string;
  handlers: string[];
  glue: boolean;
  running: number[];
  lastBeatMs: number;
  leaseMs: number;
}
