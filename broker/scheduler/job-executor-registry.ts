// Live executors: applications that registered the handlers they run, over one connection
// each. An executor leaves when its connection closes or its lease runs out without a
// heartbeat; what it was running is then failed over by the scheduler (job-scheduler-service.ts).
// Work reaches an executor through a long-held poll on that same connection.
import type { RunRecord } from '../state/job-scheduler-state.js';

/** One run handed to an executor, as the poll response carries it. */
export interface RunAssignment {
  readonly runId: number;
  readonly job: string;
  /** The due time this run fires for (the trigger time for manual and child runs). */
  readonly dueMs: number;
  readonly handler: string;
  readonly params: string;
  readonly attempt: number;
  readonly shardIndex: number;
  readonly shardCount: number;
  readonly timeoutMs: number;
  readonly glueSource?: string;
}

export interface LiveExecutor {
  readonly id: string;
  readonly app: string;
  readonly handlers: ReadonlySet<string>;
  readonly glue: boolean;
  readonly channelId: number;
  readonly leaseMs: number;
  lastBeatMs: number;
  lastUsedMs: number;
  readonly running: Set<number>;
  outbox: RunAssignment[];
  cancels: number[];
  /** Answers the held poll, if one is held. */
  wake: (() => void) | undefined;
}

export class JobExecutorRegistry {
  private readonly executors = new Map<string, LiveExecutor>();

  register(executor: Omit<LiveExecutor, 'running' | 'outbox' | 'cancels' | 'wake' | 'lastUsedMs'>): LiveExecutor {
    const live: LiveExecutor = {
      ...executor,
      lastUsedMs: 0,
      running: new Set(),
      outbox: [],
      cancels: [],
      wake: undefined,
    };
    this.executors.set(executor.id, live);
    return live;
  }

  get(id: string): LiveExecutor | undefined {
    return this.executors.get(id);
  }

  remove(id: string): LiveExecutor | undefined {
    const executor = this.executors.get(id);
    if (executor === undefined) return undefined;
    this.executors.delete(id);
    executor.wake?.();
    return executor;
  }

  /** Executors on a closed connection. */
  onChannel(channelId: number): LiveExecutor[] {
    return [...this.executors.values()].filter((executor) => executor.channelId === channelId);
  }

  /** Executors whose lease ran out at `now`. */
  expired(now: number): LiveExecutor[] {
    return [...this.executors.values()].filter((executor) => now - executor.lastBeatMs > executor.leaseMs);
  }

  /** Executors able to run `run` of a job with `handler` (or GLUE source), by id. */
  eligible(handler: string, glue: boolean, run?: RunRecord): LiveExecutor[] {
    const excluded = new Set(run?.excluded ?? []);
    return [...this.executors.values()]
      .filter((executor) => (glue ? executor.glue : executor.handlers.has(handler)) && !excluded.has(executor.id))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  all(): LiveExecutor[] {
    return [...this.executors.values()];
  }
}
