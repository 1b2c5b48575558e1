// Profiles this process for part of its life through the inspector: V8's sampling CPU profiler
// (what `node --cpu-prof` runs, at the same 1 ms period) and its sampling heap profiler (where
// allocations come from, including objects already collected). Started when a benchmark's measured phase begins and stopped when it
// ends, so neither start-up nor the warm-up is in the profile, which `--cpu-prof` cannot do.
// Writes `<prefix>.cpuprofile` and `<prefix>.heapprofile`, both readable by Chrome DevTools.
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';

import { CPU_PROFILE_INTERVAL_US, HEAP_SAMPLING_INTERVAL_BYTES } from './bench-constants.js';

export interface ProfileFiles {
  readonly cpuProfile: string;
  readonly heapProfile: string;
}

export class ProcessProfiler {
  private session: Session | undefined;

  get running(): boolean {
    return this.session !== undefined;
  }

  async start(): Promise<void> {
    if (this.session !== undefined) return;
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: CPU_PROFILE_INTERVAL_US });
    await session.post('HeapProfiler.enable');
    // Collected objects too: a benchmark's allocations are mostly short-lived, and without
    // these the profile shows only what is still alive when it stops.
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: HEAP_SAMPLING_INTERVAL_BYTES,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    await session.post('Profiler.start');
    this.session = session;
  }

  /** Stops both profilers and writes their files; undefined when not running. */
  async stop(prefix: string): Promise<ProfileFiles | undefined> {
    const session = this.session;
    if (session === undefined) return undefined;
    this.session = undefined;
    try {
      const { profile } = await session.post('Profiler.stop');
      const { profile: heap } = await session.post('HeapProfiler.stopSampling');
      const files = { cpuProfile: `${prefix}.cpuprofile`, heapProfile: `${prefix}.heapprofile` };
      fs.writeFileSync(files.cpuProfile, JSON.stringify(profile));
      fs.writeFileSync(files.heapProfile, JSON.stringify(heap));
      return files;
    } finally {
      session.disconnect();
    }
  }

  /** Stops both profilers without writing anything. */
  async discard(): Promise<void> {
    const session = this.session;
    if (session === undefined) return;
    this.session = undefined;
    try {
      await session.post('Profiler.stop');
      await session.post('HeapProfiler.stopSampling');
    } finally {
      session.disconnect();
    }
  }
}
