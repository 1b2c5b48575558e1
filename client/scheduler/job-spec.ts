// A job as the Admin API defines it, and a run as the run log shows it (the broker's
// job-scheduler-state.ts is the authority; these are its wire shapes).
export type JobScheduleSpec =
  | { kind: 'cron'; expression: string; timeZone?: string }
  | { kind: 'fixedRate'; everyMs: number; startAtMs?: number }
  | { kind: 'fixedDelay'; delayMs: number }
  | { kind: 'once'; atMs: number }
  | { kind: 'manual' };

export interface JobSpec {
  name: string;
  /** Handler name executors register (or glueSource). */
  handler?: string;
  /** Default: manual (fires only when triggered or as a child). */
  schedule?: JobScheduleSpec;
  params?: string;
  timeoutMs?: number;
  retries?: number;
  retryBackoffMs?: number;
  routing?:
    'first' | 'roundRobin' | 'random' | 'consistentHash' | 'leastRecentlyUsed' | 'failover' | 'shardingBroadcast';
  concurrency?: 'serial' | 'discardLater' | 'cancelRunning';
  misfire?: 'fireOnce' | 'skip';
  /** A fire this late (the broker was down) is a misfire; default 5000. */
  misfireThresholdMs?: number;
  children?: string[];
  glueSource?: string;
}

export type RunStatus =
  'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'timedOut' | 'discarded' | 'skipped';

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

export interface JobSummary {
  name: string;
  handler: string;
  schedule: JobScheduleSpec;
  paused: boolean;
  nextDueMs: number;
  lastFiredDueMs: number;
}

export interface ExecutorInfo {
  id: string;
  app: string;
  handlers: string[];
  glue: boolean;
  running: number[];
  lastBeatMs: number;
  leaseMs: number;
}
