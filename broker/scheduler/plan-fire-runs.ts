// The runs one fire creates, by the job's concurrency policy and routing: discardLater records
// a discarded run while an earlier one is active; cancelRunning cancels the active ones first;
// serial queues the run (the dispatcher holds it until the job's running runs end), at most
// JOB_QUEUED_RUNS_PER_JOB_MAX of them, later fires being discarded; sharding
// broadcast creates one run per eligible executor, pinned to it, with its index and the count.
import type { JobRecord, RunRecord } from '../state/job-scheduler-state.js';
import type { JobDispatcher } from './job-dispatcher.js';
import { JOB_QUEUED_RUNS_PER_JOB_MAX } from './scheduler-constants.js';

export async function planFireRuns(
  dispatcher: JobDispatcher,
  job: JobRecord,
  dueMs: number,
  trigger: RunRecord['trigger'],
  params: string | undefined,
): Promise<RunRecord[]> {
  const { definition } = job;
  const active = dispatcher.activeRuns(job);
  const base = { job: definition.name, dueMs, trigger, attempt: 1, ...(params === undefined ? {} : { params }) };
  const queued = active.filter((run) => run.status === 'queued').length;
  // Serial fires with no executor to take them would queue without end: past the bound, discard.
  if ((active.length > 0 && definition.concurrency === 'discardLater') || queued >= JOB_QUEUED_RUNS_PER_JOB_MAX)
    return [{ ...base, id: dispatcher.allocateRunId(), shardIndex: 0, shardCount: 1, status: 'discarded' }];
  if (active.length > 0 && definition.concurrency === 'cancelRunning')
    await dispatcher.cancelActive(definition.name, 'cancelled by a later fire');
  if (definition.routing !== 'shardingBroadcast')
    return [{ ...base, id: dispatcher.allocateRunId(), shardIndex: 0, shardCount: 1, status: 'queued' }];
  const executors = dispatcher.eligibleFor(job);
  if (executors.length === 0)
    return [{ ...base, id: dispatcher.allocateRunId(), shardIndex: 0, shardCount: 1, status: 'queued' }];
  return executors.map((executor, shardIndex) => ({
    ...base,
    id: dispatcher.allocateRunId(),
    shardIndex,
    shardCount: executors.length,
    pinnedExecutor: executor.id,
    status: 'queued',
  }));
}
