// Waiting for a fresh store's segment preheat to finish before timing steady state.
//
// Opening an empty store prepares segment 0, and segment 1 once segment 0 is half full; each
// is fallocated and its first PREHEAT_POPULATE_BYTES faulted in on a pool thread, which
// competes with the appender (see README, "cold start"). Throughput trials
// measure steady state, so they append one batch and wait here first; the wait is reported as
// `settleMs`. There is no public API for this, so this reads (never writes) private fields of
// the store: commitLog.files.files[*] and commitLog.allocator.next, each a MappedFile whose
// preheatStatus[1] counts populated pages. If that shape changes, it falls back to a fixed wait.
import { performance } from 'node:perf_hooks';

import type { MessageStore } from '../../storage/index.js';

interface FileShape {
  size?: number;
  preheatStatus?: Int32Array;
}

const PAGE_BYTES = 4096;
/** storage/mapped-file.ts PREHEAT_POPULATE_BYTES (private to the store): the populated prefix. */
const PREHEAT_POPULATE_BYTES = 32 * 1024 * 1024;

function segmentsBeingPreheated(store: MessageStore): FileShape[] | undefined {
  const commitLog = (
    store as unknown as { commitLog?: { files?: { files?: FileShape[] }; allocator?: { next?: FileShape } } }
  ).commitLog;
  const files = commitLog?.files?.files;
  if (commitLog === undefined || !Array.isArray(files)) return undefined;
  const next = commitLog.allocator?.next;
  return [...files, ...(next === undefined ? [] : [next])];
}

function preheatDone(file: FileShape): boolean | undefined {
  if (file.preheatStatus === undefined) return true; // not preheated by this process (opened or created sync)
  if (typeof file.size !== 'number') return undefined;
  // The populated prefix; an older store populated whole segments (status[1] counts up to it).
  return Atomics.load(file.preheatStatus, 1) * PAGE_BYTES >= Math.min(file.size, PREHEAT_POPULATE_BYTES);
}

/** Resolves once every commit-log segment's preheat has finished; returns how long it waited. */
export async function waitForPreheat(store: MessageStore, timeoutMs = 60_000, fallbackMs = 5000): Promise<number> {
  const started = performance.now();
  for (;;) {
    const files = segmentsBeingPreheated(store);
    const states = files?.map(preheatDone);
    if (states === undefined || states.includes(undefined)) {
      await sleep(fallbackMs);
      return performance.now() - started;
    }
    if (states.every(Boolean) || performance.now() - started > timeoutMs) return performance.now() - started;
    await sleep(20);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
