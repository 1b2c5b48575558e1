// The GLUE worker pool of an executor that opted in: piscina threads running glue-worker.js,
// each run aborted (its thread terminated) at its time limit or when the run is cancelled.
import { Piscina } from 'piscina';

import { GLUE_WORKERS_MAX } from './scheduler-client-constants.js';

export class GluePool {
  private readonly pool = new Piscina({
    filename: new URL('./glue-worker.js', import.meta.url).href,
    maxThreads: GLUE_WORKERS_MAX,
    minThreads: 0,
  });

  /** Runs `source`; rejects when `signal` aborts (time limit or cancel) or the source throws. */
  run(
    source: string,
    params: string,
    shard: { index: number; count: number },
    signal: AbortSignal,
  ): Promise<{ result: string; output: string }> {
    return this.pool.run({ source, params, shard }, { signal }) as Promise<{ result: string; output: string }>;
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}
