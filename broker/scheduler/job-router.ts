// Which executor runs a fire (xxl-job's routing strategies). Candidates come sorted by id;
// sharding broadcast is decided at fire time (one run per executor) and never reaches here.
import { createHash, randomInt } from 'node:crypto';

import type { JobRouting } from '../state/job-scheduler-state.js';
import type { LiveExecutor } from './job-executor-registry.js';

/** Points per executor on the consistent-hash ring. */
const HASH_RING_POINTS_PER_EXECUTOR = 64;

export class JobRouter {
  private readonly roundRobin = new Map<string, number>();

  pick(routing: JobRouting, job: string, candidates: readonly LiveExecutor[]): LiveExecutor | undefined {
    if (candidates.length === 0) return undefined;
    switch (routing) {
      case 'roundRobin': {
        const turn = this.roundRobin.get(job) ?? 0;
        this.roundRobin.set(job, turn + 1);
        return candidates[turn % candidates.length];
      }
      case 'random':
        return candidates[randomInt(candidates.length)];
      case 'consistentHash':
        return onHashRing(job, candidates);
      case 'leastRecentlyUsed':
        return candidates.reduce((best, next) => (next.lastUsedMs < best.lastUsedMs ? next : best));
      default:
        // first, failover (failed executors are already excluded), sharding (pinned)
        return candidates[0];
    }
  }
}

function onHashRing(key: string, candidates: readonly LiveExecutor[]): LiveExecutor {
  const target = hash32(key);
  let best: LiveExecutor = candidates[0]!;
  let bestPoint = Number.POSITIVE_INFINITY;
  let lowest: LiveExecutor = best;
  let lowestPoint = Number.POSITIVE_INFINITY;
  for (const executor of candidates)
    for (let point = 0; point < HASH_RING_POINTS_PER_EXECUTOR; point++) {
      const at = hash32(`${executor.id}#${point}`);
      if (at >= target && at < bestPoint) [best, bestPoint] = [executor, at];
      if (at < lowestPoint) [lowest, lowestPoint] = [executor, at];
    }
  return bestPoint === Number.POSITIVE_INFINITY ? lowest : best;
}

function hash32(text: string): number {
  return createHash('md5').update(text).digest().readUInt32BE(0);
}
