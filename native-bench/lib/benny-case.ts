// Runs one operation under benny (benchmark.js) and returns its statistics.
//
// benny probes a case before timing it: it calls the case factory up to three times and calls
// the returned operation once, unawaited, to learn whether it is async. A stray unawaited
// append batch racing the first timed cycle would distort it, so the first call of the
// operation is a no-op of the right kind (a resolved promise for async operations).
import { add, configure, suite } from 'benny';

import { num, type Params } from './trial-types.js';

export interface BennyOptions {
  /** Seconds of sampling (benchmark.js maxTime). */
  maxTime: number;
  minSamples: number;
  /** Seconds of a cycle at least (benchmark.js minTime); longer cycles dilute per-cycle costs. */
  minTime?: number;
}

export interface BennyStats {
  /** Operations per second (benchmark.js hz). */
  ops: number;
  /** Relative margin of error, percent. */
  rme: number;
  samples: number;
  meanSeconds: number;
}

export async function runBenny(
  name: string,
  operation: () => Promise<unknown> | unknown,
  options: BennyOptions,
  isAsync: boolean,
): Promise<BennyStats> {
  let probed = false;
  const guarded = (): Promise<unknown> | unknown => {
    if (!probed) {
      probed = true;
      return isAsync ? Promise.resolve() : undefined;
    }
    return operation();
  };
  const caseOptions = {
    maxTime: options.maxTime,
    minSamples: options.minSamples,
    ...(options.minTime ? { minTime: options.minTime } : {}),
  };
  const summary = await suite(
    name,
    configure({ cases: caseOptions }),
    add(name, () => guarded),
  );
  const result = summary.results[0];
  if (result === undefined) throw new Error(`benny returned no result for ${name}`);
  return {
    ops: result.ops,
    rme: result.margin,
    samples: result.samples,
    meanSeconds: result.details.mean,
  };
}

/** The benny sampling options of a trial (maxTime, minSamples, minTime). */
export function sampling(params: Params): BennyOptions {
  return { maxTime: num(params, 'maxTime'), minSamples: num(params, 'minSamples'), minTime: num(params, 'minTime') };
}

/** The headline figures of a benny case whose operation moves `perOperation` bodies of `bodyBytes`. */
export function bennyThroughput(
  stats: BennyStats,
  perOperation: number,
  bodyBytes: number,
): { msgsPerSec: number; bodyBytesPerSec: number; rmePercent: number; samples: number } {
  const msgsPerSec = stats.ops * perOperation;
  return { msgsPerSec, bodyBytesPerSec: msgsPerSec * bodyBytes, rmePercent: stats.rme, samples: stats.samples };
}
